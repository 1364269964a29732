import { describe, expect, it } from 'vitest';
import { BROWSER_ENTRIES, bundleEntry } from './bundle.js';

describe('the browser-clean entries', () => {
  it.each(BROWSER_ENTRIES)('%s bundles for the browser without Node', async (entry) => {
    const bundle = await bundleEntry(entry, { from: 'src' });
    expect(bundle.packages).not.toContain('undici');
    expect(bundle.inputs.filter((i) => /platform-node|load-module-node/.test(i))).toEqual([]);
  });

  it('the root takes the web HTTP client in a browser, undici in Node', async () => {
    const browser = await bundleEntry('@holokai/neuron-sdk', { from: 'src' });
    expect(browser.inputs).toContain('src/transport/platform-web.ts');
    expect(browser.packages).toEqual([
      '@opentelemetry/api',
      'ajv',
      'ajv-formats',
      'eventemitter3',
      'eventsource-parser',
      'fast-deep-equal',
      'fast-uri',
      'json-schema-traverse',
      'xstate',
    ]);
    const node = await bundleEntry('@holokai/neuron-sdk', { from: 'src', platform: 'node' });
    expect(node.inputs).toContain('src/transport/platform-node.ts');
    expect(node.packages).toContain('undici');
  });

  it('/ipc bundles alone, small: no validator, no state machines', async () => {
    const ipc = await bundleEntry('@holokai/neuron-sdk/ipc', { from: 'src' });
    expect(ipc.packages).toEqual([]);
    expect(ipc.bytes).toBeLessThan(16 * 1024);
  });
});
