// Kibana saved objects for the documents the filter writes, as one NDJSON
// file for `POST /api/saved_objects/_import`: a data view, the Lens
// visualizations, a saved search of the latest events, and the Sysdig Secure
// and Sysdig Monitor dashboards. Written from the small panel list below so
// that ids, references and field names stay consistent; `npm run gen`
// writes elasticsearch/kibana/sysdig-dashboards.ndjson and
// kibana.test.mjs checks it against the template on a real node.

export const KIBANA_FILE = 'elasticsearch/kibana/sysdig-dashboards.ndjson';
export const DATA_VIEW_ID = 'sysdig-normalizer-events';
/** Both ways the pipelines write: the default index and the data streams. */
const DATA_VIEW_TITLE = 'sysdig-events*,logs-sysdig.*-*';

// Which documents a dashboard is about, as KQL over fields the filter sets.
// observer.product tells the products apart whatever the data type:
// runtime and legacy policy events, Secure notifications and cloud sources
// are "Sysdig Secure" alerts; activity audit, benchmarks and host scanning
// are Secure too, but not alerts; Monitor alerts and events are "Sysdig Monitor".
const SECURE = 'event.module : "sysdig" and event.kind : "alert" and observer.product : "Sysdig Secure"';
const MONITOR = 'event.module : "sysdig" and observer.product : "Sysdig Monitor"';
const FALCO = 'observer.product : "Falco"';
const SECURE_AND_AUDIT = 'event.module : "sysdig" and observer.product : "Sysdig Secure"';

const MIGRATION = { coreMigrationVersion: '8.8.0' };
const COUNT = 'count';

/** The Lens columns for a count, by the date histogram or by a terms split. */
const columns = {
  time: () => ({
    label: '@timestamp', dataType: 'date', operationType: 'date_histogram', sourceField: '@timestamp',
    isBucketed: true, scale: 'interval', params: { interval: 'auto', includeEmptyRows: true, dropPartials: false },
  }),
  // customLabel: Kibana shows a column's own label only when this says so.
  count: () => ({
    label: 'Events', customLabel: true, dataType: 'number', operationType: 'count', sourceField: '___records___',
    isBucketed: false, scale: 'ratio', params: { emptyAsNull: true },
  }),
  terms: (field, size, label) => ({
    label, customLabel: true, dataType: 'string', operationType: 'terms', sourceField: field, isBucketed: true, scale: 'ordinal',
    params: { size, orderBy: { type: 'column', columnId: COUNT }, orderDirection: 'desc', otherBucket: true, missingBucket: false },
  }),
};

function lens({ id, title, description, query, cols, visualization }) {
  const layerId = `${id}-layer`;
  return {
    type: 'lens',
    id,
    attributes: {
      title,
      description,
      visualizationType: 'lnsXY',
      state: {
        datasourceStates: {
          formBased: { layers: { [layerId]: { columns: cols, columnOrder: Object.keys(cols), incompleteColumns: {} } } },
        },
        visualization: visualization(layerId),
        query: { query, language: 'kuery' },
        filters: [],
      },
    },
    references: [{ type: 'index-pattern', id: DATA_VIEW_ID, name: `indexpattern-datasource-layer-${layerId}` }],
    typeMigrationVersion: '8.9.0',
    ...MIGRATION,
  };
}

const xy = (layer) => ({
  legend: { isVisible: true, position: 'right' },
  valueLabels: 'hide',
  preferredSeriesType: layer.seriesType,
  layers: [{ accessors: [COUNT], position: 'top', showGridlines: false, layerType: 'data', ...layer }],
});

/** Events per time bucket, stacked by the values of `field`. */
const overTime = ({ id, title, description, query, field, label }) => lens({
  id, title, description, query,
  // The split first: Lens nests the columns in this order, so the top
  // values are chosen over the whole range, not in each time bucket.
  cols: { split: columns.terms(field, 10, label), time: columns.time(), [COUNT]: columns.count() },
  visualization: (layerId) => xy({ layerId, seriesType: 'bar_stacked', xAccessor: 'time', splitAccessor: 'split' }),
});

/** The `size` most frequent values of `field`, as horizontal bars. */
const top = ({ id, title, description, query, field, label, size = 10 }) => lens({
  id, title, description, query,
  cols: { values: columns.terms(field, size, label), [COUNT]: columns.count() },
  visualization: (layerId) => xy({ layerId, seriesType: 'bar_horizontal', xAccessor: 'values' }),
});

function savedSearch({ id, title, description, query, columns: cols }) {
  return {
    type: 'search',
    id,
    attributes: {
      title,
      description,
      columns: cols,
      sort: [['@timestamp', 'desc']],
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({
          query: { query, language: 'kuery' },
          filter: [],
          indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index',
        }),
      },
    },
    references: [{ name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern', id: DATA_VIEW_ID }],
    typeMigrationVersion: '8.0.0',
    ...MIGRATION,
  };
}

/** A dashboard of `panels` laid out on Kibana's 48-column grid. */
function dashboard({ id, title, description, panels }) {
  const references = [];
  const layout = panels.map(({ object, w, h, x, y }, i) => {
    const panelIndex = `${i + 1}`;
    references.push({ name: `panel_${panelIndex}`, type: object.type, id: object.id });
    return {
      version: '8.9.0', type: object.type, panelIndex, panelRefName: `panel_${panelIndex}`,
      gridData: { x, y, w, h, i: panelIndex }, embeddableConfig: {},
    };
  });
  return {
    type: 'dashboard',
    id,
    attributes: {
      title,
      description,
      panelsJSON: JSON.stringify(layout),
      optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, syncCursor: true, syncTooltips: false, hidePanelTitles: false }),
      timeRestore: false,
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
    },
    references,
    typeMigrationVersion: '8.9.0',
    ...MIGRATION,
  };
}

export function buildSavedObjects() {
  const dataView = {
    type: 'index-pattern',
    id: DATA_VIEW_ID,
    attributes: {
      title: DATA_VIEW_TITLE,
      name: 'Sysdig events (sysdig-normalizer)',
      timeFieldName: '@timestamp',
    },
    references: [],
    typeMigrationVersion: '8.0.0',
    ...MIGRATION,
  };

  const secure = {
    overTime: overTime({
      id: 'sysdig-secure-events-over-time', title: 'Sysdig Secure: policy events over time by severity',
      description: 'Runtime and legacy policy events, stacked by log.level (Sysdig severity 0-3 high, 4-5 medium, 6 low, 7 informational).',
      query: SECURE, field: 'log.level', label: 'Severity',
    }),
    rules: top({ id: 'sysdig-secure-top-rules', title: 'Sysdig Secure: top rules', description: 'Policy events by rule.name.', query: SECURE, field: 'rule.name', label: 'Rule' }),
    techniques: top({
      id: 'sysdig-secure-top-mitre-techniques', title: 'Sysdig Secure: top MITRE ATT&CK techniques',
      description: 'From the rule tags (threat.technique.id).', query: SECURE, field: 'threat.technique.id', label: 'Technique',
    }),
    hosts: top({ id: 'sysdig-secure-top-hosts', title: 'Sysdig Secure: top hosts', description: 'Policy events by host.name.', query: SECURE, field: 'host.name', label: 'Host' }),
    containers: top({
      id: 'sysdig-secure-top-containers', title: 'Sysdig Secure: top container images', description: 'Policy events by container.image.name.',
      query: SECURE, field: 'container.image.name', label: 'Container image',
    }),
    namespaces: top({
      id: 'sysdig-secure-top-namespaces', title: 'Sysdig Secure: top Kubernetes namespaces', description: 'Policy events by orchestrator.namespace.',
      query: SECURE, field: 'orchestrator.namespace', label: 'Namespace',
    }),
    audit: overTime({
      id: 'sysdig-secure-audit-over-time', title: 'Sysdig Secure: activity audit over time by kind',
      description: 'Commands, connections, file access and kubectl exec, by event.category.',
      query: 'event.dataset : "sysdig.audit"', field: 'event.category', label: 'Category',
    }),
    latest: savedSearch({
      id: 'sysdig-secure-latest-events', title: 'Sysdig Secure: latest events', description: 'Newest first, with their message.',
      query: SECURE_AND_AUDIT,
      columns: ['log.level', 'rule.name', 'host.name', 'container.name', 'orchestrator.namespace', 'message'],
    }),
  };
  const monitor = {
    bySeverity: overTime({
      id: 'sysdig-monitor-alerts-by-severity', title: 'Sysdig Monitor: alerts over time by severity',
      description: 'Alert notifications, stacked by log.level.', query: MONITOR, field: 'log.level', label: 'Severity',
    }),
    byState: overTime({
      id: 'sysdig-monitor-alerts-by-state', title: 'Sysdig Monitor: alerts over time by state',
      description: 'Alert notifications, stacked by state (event.action: ACTIVE, RESOLVED).', query: MONITOR, field: 'event.action', label: 'State',
    }),
    alerts: top({ id: 'sysdig-monitor-top-alerts', title: 'Sysdig Monitor: top alerts', description: 'Notifications by alert (rule.name).', query: MONITOR, field: 'rule.name', label: 'Alert' }),
    latest: savedSearch({
      id: 'sysdig-monitor-latest-alerts', title: 'Sysdig Monitor: latest alerts', description: 'Newest first.',
      query: MONITOR, columns: ['log.level', 'event.action', 'rule.name', 'host.name', 'message', 'event.url'],
    }),
  };

  const falco = {
    overTime: overTime({
      id: 'falco-alerts-over-time', title: 'Falco: alerts over time by priority',
      description: 'Falco alerts, stacked by priority (log.syslog.severity.name).', query: FALCO,
      field: 'log.syslog.severity.name', label: 'Priority',
    }),
    rules: top({ id: 'falco-top-rules', title: 'Falco: top rules', description: 'Alerts by rule.name.', query: FALCO, field: 'rule.name', label: 'Rule' }),
    sources: top({ id: 'falco-top-sources', title: 'Falco: alerts by source', description: 'Alerts by event source (event.provider: syscall, k8s_audit, plugins).', query: FALCO, field: 'event.provider', label: 'Source' }),
    hosts: top({ id: 'falco-top-hosts', title: 'Falco: top Falco hosts', description: 'Alerts by the host Falco runs on (observer.hostname).', query: FALCO, field: 'observer.hostname', label: 'Falco host' }),
    latest: savedSearch({
      id: 'falco-latest-alerts', title: 'Falco: latest alerts', description: 'Newest first, with their output.',
      query: FALCO, columns: ['log.syslog.severity.name', 'rule.name', 'observer.hostname', 'container.name', 'orchestrator.namespace', 'message'],
    }),
  };
  const secureDashboard = dashboard({
    id: 'sysdig-secure-overview', title: '[Sysdig] Secure overview',
    description: 'Runtime policy events and activity audit, normalized by sysdig-normalizer.',
    panels: [
      { object: secure.overTime, x: 0, y: 0, w: 32, h: 12 },
      { object: secure.techniques, x: 32, y: 0, w: 16, h: 12 },
      { object: secure.rules, x: 0, y: 12, w: 24, h: 12 },
      { object: secure.hosts, x: 24, y: 12, w: 24, h: 12 },
      { object: secure.containers, x: 0, y: 24, w: 24, h: 12 },
      { object: secure.namespaces, x: 24, y: 24, w: 24, h: 12 },
      { object: secure.audit, x: 0, y: 36, w: 48, h: 10 },
      { object: secure.latest, x: 0, y: 46, w: 48, h: 16 },
    ],
  });
  const monitorDashboard = dashboard({
    id: 'sysdig-monitor-overview', title: '[Sysdig] Monitor alerts',
    description: 'Sysdig Monitor alert notifications, normalized by sysdig-normalizer.',
    panels: [
      { object: monitor.bySeverity, x: 0, y: 0, w: 24, h: 12 },
      { object: monitor.byState, x: 24, y: 0, w: 24, h: 12 },
      { object: monitor.alerts, x: 0, y: 12, w: 48, h: 12 },
      { object: monitor.latest, x: 0, y: 24, w: 48, h: 16 },
    ],
  });
  const falcoDashboard = dashboard({
    id: 'falco-overview', title: '[Falco] Alerts',
    description: 'Falco alerts (observer.product: Falco), normalized by sysdig-normalizer.',
    panels: [
      { object: falco.overTime, x: 0, y: 0, w: 32, h: 12 },
      { object: falco.sources, x: 32, y: 0, w: 16, h: 12 },
      { object: falco.rules, x: 0, y: 12, w: 24, h: 12 },
      { object: falco.hosts, x: 24, y: 12, w: 24, h: 12 },
      { object: falco.latest, x: 0, y: 24, w: 48, h: 16 },
    ],
  });
  return [dataView, ...Object.values(secure), ...Object.values(monitor), ...Object.values(falco), secureDashboard, monitorDashboard, falcoDashboard];
}

export function generatedFiles() {
  return { [KIBANA_FILE]: buildSavedObjects().map((o) => JSON.stringify(o)).join('\n') + '\n' };
}
