// The soak's memory verdict (host-test/bench/soak.mjs, rssTrend): a trend
// over the second half of the run's samples, so that Fluent Bit's buffers
// swinging with the backlog do not read as a leak and a steady climb does.

import { describe, it, expect } from 'vitest';
import { rssTrend } from '../bench/soak.mjs';

const MiB = 2 ** 20;
/** Samples every 10,000 events from 250,000 to 1,000,000. */
function series(rssAt) {
  const out = [];
  for (let sent = 250_000; sent <= 1_000_000; sent += 10_000) out.push({ sent, rss: rssAt(sent) * MiB });
  return out;
}

describe('rssTrend', () => {
  it('reads swings without a climb as flat, even when the last sample is high', () => {
    // 95 to 135 MiB back and forth (as measured), starting on a low swing
    // and ending on a high one: the last sample is 35 % above the first,
    // which a two-sample rule called a leak.
    const swings = series((sent) => 115 + 20 * Math.sin(sent / 37_000));
    swings[0].rss = 100 * MiB;
    swings[swings.length - 1].rss = 135 * MiB;
    const t = rssTrend(swings);
    expect(swings.at(-1).rss / swings[0].rss).toBeGreaterThan(1.1);
    expect(Math.abs(t.fraction)).toBeLessThan(0.1);
  });

  it('reads a steady climb as one, whatever the noise', () => {
    const leak = series((sent) => 100 + 40 * (sent - 250_000) / 750_000 + 10 * Math.sin(sent / 23_000));
    const t = rssTrend(leak);
    expect(t.fraction).toBeGreaterThan(0.3);
    expect(t.fraction).toBeLessThan(0.5);
    expect(t.rise / MiB).toBeGreaterThan(30);
  });

  it('says nothing from fewer than three samples', () => {
    expect(rssTrend([{ sent: 1, rss: 1 }, { sent: 2, rss: 2 }])).toBeNull();
  });
});
