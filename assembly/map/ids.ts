// Field indices by ECS path, resolved once when the module starts.
import { field } from "../ecs/fields";

export const TIMESTAMP = field("@timestamp");
export const AGENT_ID = field("agent.id");
export const CLOUD_ACCOUNT_ID = field("cloud.account.id");
export const CLOUD_AZ = field("cloud.availability_zone");
export const CLOUD_PROVIDER = field("cloud.provider");
export const CLOUD_REGION = field("cloud.region");
export const CONTAINER_ID = field("container.id");
export const CONTAINER_IMAGE_HASH = field("container.image.hash.all");
export const CONTAINER_IMAGE_NAME = field("container.image.name");
export const CONTAINER_IMAGE_TAG = field("container.image.tag");
export const CONTAINER_NAME = field("container.name");
export const CONTAINER_PRIVILEGED = field("container.security_context.privileged");
export const DESTINATION_IP = field("destination.ip");
export const DESTINATION_PORT = field("destination.port");
export const ECS_VERSION = field("ecs.version");
export const ERROR_MESSAGE = field("error.message");
export const EVENT_ACTION = field("event.action");
export const EVENT_CATEGORY = field("event.category");
export const EVENT_CREATED = field("event.created");
export const EVENT_DATASET = field("event.dataset");
export const EVENT_DURATION = field("event.duration");
export const EVENT_END = field("event.end");
export const EVENT_ID = field("event.id");
export const EVENT_KIND = field("event.kind");
export const EVENT_MODULE = field("event.module");
export const EVENT_ORIGINAL = field("event.original");
export const EVENT_OUTCOME = field("event.outcome");
export const EVENT_PROVIDER = field("event.provider");
export const EVENT_SEVERITY = field("event.severity");
export const EVENT_START = field("event.start");
export const EVENT_TYPE = field("event.type");
export const EVENT_URL = field("event.url");
export const FILE_DIRECTORY = field("file.directory");
export const FILE_NAME = field("file.name");
export const FILE_PATH = field("file.path");
export const HOST_HOSTNAME = field("host.hostname");
export const HOST_MAC = field("host.mac");
export const HOST_NAME = field("host.name");
export const LOG_LEVEL = field("log.level");
export const MESSAGE = field("message");
export const NETWORK_DIRECTION = field("network.direction");
export const NETWORK_IANA = field("network.iana_number");
export const NETWORK_TRANSPORT = field("network.transport");
export const OBSERVER_PRODUCT = field("observer.product");
export const OBSERVER_VENDOR = field("observer.vendor");
export const ORCH_CLUSTER = field("orchestrator.cluster.name");
export const ORCH_NAMESPACE = field("orchestrator.namespace");
export const ORCH_RESOURCE_NAME = field("orchestrator.resource.name");
export const ORCH_RESOURCE_PARENT_TYPE = field("orchestrator.resource.parent.type");
export const ORCH_RESOURCE_TYPE = field("orchestrator.resource.type");
export const ORCH_TYPE = field("orchestrator.type");
export const PROCESS_COMMAND_LINE = field("process.command_line");
export const PROCESS_EXECUTABLE = field("process.executable");
export const PROCESS_HASH_SHA256 = field("process.hash.sha256");
export const PROCESS_NAME = field("process.name");
export const PROCESS_PID = field("process.pid");
export const PROCESS_PARENT_PID = field("process.parent.pid");
export const PROCESS_CWD = field("process.working_directory");
export const RELATED_HOSTS = field("related.hosts");
export const RELATED_IP = field("related.ip");
export const RELATED_USER = field("related.user");
export const RULE_AUTHOR = field("rule.author");
export const RULE_CATEGORY = field("rule.category");
export const RULE_DESCRIPTION = field("rule.description");
export const RULE_ID = field("rule.id");
export const RULE_NAME = field("rule.name");
export const RULE_RULESET = field("rule.ruleset");
export const RULE_VERSION = field("rule.version");
export const SOURCE_IP = field("source.ip");
export const SOURCE_PORT = field("source.port");
export const TAGS = field("tags");
export const THREAT_FRAMEWORK = field("threat.framework");
export const TACTIC_ID = field("threat.tactic.id");
export const TACTIC_NAME = field("threat.tactic.name");
export const TACTIC_REFERENCE = field("threat.tactic.reference");
export const TECHNIQUE_ID = field("threat.technique.id");
export const TECHNIQUE_NAME = field("threat.technique.name");
export const TECHNIQUE_REFERENCE = field("threat.technique.reference");
export const SUBTECHNIQUE_ID = field("threat.technique.subtechnique.id");
export const SUBTECHNIQUE_NAME = field("threat.technique.subtechnique.name");
export const SUBTECHNIQUE_REFERENCE = field("threat.technique.subtechnique.reference");
export const USER_GROUP_ID = field("user.group.id");
export const USER_GROUP_NAME = field("user.group.name");
export const USER_ID = field("user.id");
export const USER_NAME = field("user.name");
export const USER_AGENT = field("user_agent.original");
export const CLOUD_INSTANCE_ID = field("cloud.instance.id");
export const CLOUD_PROJECT_ID = field("cloud.project.id");
export const CLOUD_SERVICE_NAME = field("cloud.service.name");
export const ENTITY_TARGET_ID = field("entity.target.id");
export const ENTITY_TARGET_SUB_TYPE = field("entity.target.sub_type");
export const HOST_ID = field("host.id");
export const HOST_OS_NAME = field("host.os.name");
export const HOST_OS_VERSION = field("host.os.version");
export const HTTP_REQUEST_METHOD = field("http.request.method");
export const HTTP_RESPONSE_STATUS = field("http.response.status_code");
export const OBSERVER_TYPE = field("observer.type");
export const ORGANIZATION_ID = field("organization.id");
export const SOURCE_DOMAIN = field("source.domain");
export const URL_ORIGINAL = field("url.original");
export const URL_PATH = field("url.path");
export const URL_QUERY = field("url.query");
export const VULNERABILITY_ID = field("vulnerability.id");
export const VULNERABILITY_SCANNER_VENDOR = field("vulnerability.scanner.vendor");
export const VULNERABILITY_SEVERITY = field("vulnerability.severity");
// Falco alerts
export const LOG_SYSLOG_SEVERITY_CODE = field("log.syslog.severity.code");
export const LOG_SYSLOG_SEVERITY_NAME = field("log.syslog.severity.name");
export const OBSERVER_HOSTNAME = field("observer.hostname");
// The HEC envelope of Sysdig's HEC integration (map/hec_envelope.ts)
export const LABELS_HEC_HOST = field("labels.hec_host");
export const LABELS_HEC_INDEX = field("labels.hec_index");
export const LABELS_HEC_SOURCE = field("labels.hec_source");
export const LABELS_HEC_SOURCETYPE = field("labels.hec_sourcetype");

/** Ancestor fields by generation: [1] is the parent, [2] its parent, … */
export const ANCESTOR_NAME: i32[] = [
  PROCESS_NAME, field("process.parent.name"), field("process.parent.parent.name"),
  field("process.parent.parent.parent.name"), field("process.parent.parent.parent.parent.name"),
];
export const ANCESTOR_EXECUTABLE: i32[] = [
  PROCESS_EXECUTABLE, field("process.parent.executable"), field("process.parent.parent.executable"),
  field("process.parent.parent.parent.executable"), field("process.parent.parent.parent.parent.executable"),
];
export const ANCESTOR_COMMAND_LINE: i32[] = [
  PROCESS_COMMAND_LINE, field("process.parent.command_line"), field("process.parent.parent.command_line"),
  field("process.parent.parent.parent.command_line"), field("process.parent.parent.parent.parent.command_line"),
];
export const ANCESTOR_PID: i32[] = [
  PROCESS_PID, field("process.parent.pid"), field("process.parent.parent.pid"),
  field("process.parent.parent.parent.pid"), field("process.parent.parent.parent.parent.pid"),
];

// The fields Elastic's integrations fill too
export const CLIENT_DOMAIN = field("client.domain");
export const CLIENT_IP = field("client.ip");
export const CLIENT_PORT = field("client.port");
export const CLOUD_INSTANCE_NAME = field("cloud.instance.name");
export const CLOUD_MACHINE_TYPE = field("cloud.machine.type");
export const CLOUD_PROJECT_NAME = field("cloud.project.name");
export const CONTAINER_RUNTIME = field("container.runtime");
export const DESTINATION_DOMAIN = field("destination.domain");
export const EVENT_SEQUENCE = field("event.sequence");
export const FILE_INODE = field("file.inode");
export const FILE_TYPE = field("file.type");
export const ORCH_RESOURCE_ID = field("orchestrator.resource.id");
export const ORCH_RESOURCE_IP = field("orchestrator.resource.ip");
export const ORCH_RESOURCE_LABEL = field("orchestrator.resource.label");
export const PROCESS_ARGS = field("process.args");
export const PROCESS_ARGS_COUNT = field("process.args_count");
export const PROCESS_ENV_VARS = field("process.env_vars");
export const PROCESS_PARENT_START = field("process.parent.start");
export const PROCESS_START = field("process.start");
export const RELATED_HASH = field("related.hash");
export const SERVER_DOMAIN = field("server.domain");
export const SERVER_IP = field("server.ip");
export const SERVER_PORT = field("server.port");
