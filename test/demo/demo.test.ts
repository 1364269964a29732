import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo/index.js';
import { trackResources } from '../support/resources.js';

function capture(isTTY: boolean) {
  let text = '';
  return {
    out: {
      isTTY,
      write: (s: string) => {
        text += s;
      },
    },
    text: () => text,
  };
}

describe('the demo', () => {
  it('ends every task as it should, prints a summary, drains and leaves nothing behind', async () => {
    const resources = trackResources();
    const { out, text } = capture(false);
    const started = Date.now();
    expect(await runDemo({ out })).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    const printed = text();
    for (const ending of ['acked', 'schema-mismatch', 'terminal', 'retryable', 'cancelled']) {
      expect(printed).toMatch(new RegExp(`^t-\\d+\\s+.*\\s${ending}\\s`, 'm'));
    }
    expect(printed).toContain('every task ended as expected');
    expect(printed).toMatch(/long task with progress: running \(attempt 1\) 50%/);
    // The flaky task's second delivery waits out the gateway's retry backoff, and says so.
    expect(printed).toMatch(/retryable failure: attempt 2 in 0\.5 s 0%/);
    await expect.poll(() => resources.sdkLeftovers()).toEqual([]);
    resources.stop();
  });

  it('draws one line per task with a progress bar on a TTY', async () => {
    const { out, text } = capture(true);
    expect(await runDemo({ out: { ...out, columns: 120 } })).toBe(0);
    expect(text()).toContain('\u001b[2K\rt-2 ');
    expect(text()).toMatch(/t-2 +long task with progress +demo\/steps +\[█{20}\] .*acked/);
  });
});

describe('npm run demo', () => {
  it('runs as a process and exits 0 within 20 s, having shown every outcome', async () => {
    const started = Date.now();
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'demo'],
        { timeout: 20_000 },
        (_error, stdout) => resolve({ code: child.exitCode, stdout }),
      );
    });
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.stdout).toContain('every task ended as expected');
    expect(result.stdout).toMatch(/t-6\s+cancel\s+demo\/steps\s+cancelled/);
  });
});
