import { describe, expect, it } from 'vitest';
import type { FrameError } from '../../src/errors.js';
import { makeTransport } from './recorder.js';
import { useTestServer } from './test-server.js';

const MAX = 1024;
const valid = 'data: {"type":"cancel","leaseId":"after"}\n\n';

describe('HttpTransport with frames over maxFrameBytes', () => {
  const server = useTestServer();

  async function open() {
    const made = makeTransport(server.url, { maxFrameBytes: MAX });
    await made.transport.start();
    return { ...made, stream: await server.nextStream() };
  }

  function reasons(errors: Array<{ error: Error }>): string[] {
    return errors.map(({ error }) => (error as FrameError).reason);
  }

  it('skips a complete oversized event and reads the next one', async () => {
    const { transport, recorder, stream } = await open();
    stream.write(`data: {"type":"cancel","leaseId":"${'x'.repeat(MAX)}"}\n\n${valid}`);
    await recorder.waitFor('frame');
    expect(reasons(recorder.of('error'))).toEqual(['too-large']);
    expect(recorder.of('frame')[0]?.frame).toEqual({ type: 'cancel', leaseId: 'after' });
    await transport.close();
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const { transport, recorder, stream } = await open();
    // 600 characters, 1200 bytes.
    stream.write(`data: {"type":"cancel","leaseId":"${'é'.repeat(600)}"}\n\n${valid}`);
    await recorder.waitFor('frame');
    expect(reasons(recorder.of('error'))).toEqual(['too-large']);
    await transport.close();
  });

  it('drops an oversized line arriving in pieces without buffering it, then reads on', async () => {
    const { transport, recorder, stream } = await open();
    stream.write(`id: big\ndata: {"type":"cancel","leaseId":"${'x'.repeat(2 * MAX)}`);
    await recorder.waitFor('error');
    stream.write(`${'y'.repeat(MAX)}"}\n`);
    await recorder.waitFor('activity', 2);
    stream.write(`\n${valid}`);
    const [frame] = await recorder.waitFor('frame');
    expect(frame?.frame).toEqual({ type: 'cancel', leaseId: 'after' });
    expect(reasons(recorder.of('error'))).toEqual(['too-large']);
    expect(recorder.of('close')).toEqual([]);
    await transport.close();
  });

  it('drops an oversized multi-line event whose blank line comes in a later chunk', async () => {
    const { transport, recorder, stream } = await open();
    const line = `data: ${'z'.repeat(100)}\n`;
    stream.write(`data: {"type":"cancel",\n${line.repeat(12)}`);
    await recorder.waitFor('error');
    stream.write(line.repeat(3));
    await recorder.waitFor('activity', 2);
    stream.write(`\n${valid}`);
    const [frame] = await recorder.waitFor('frame');
    expect(frame?.frame).toEqual({ type: 'cancel', leaseId: 'after' });
    expect(reasons(recorder.of('error'))).toEqual(['too-large']);
    await transport.close();
  });

  it('accepts a frame of exactly maxFrameBytes', async () => {
    const { transport, recorder, stream } = await open();
    const head = '{"type":"cancel","leaseId":"';
    const data = `${head}${'x'.repeat(MAX - head.length - 2)}"}`;
    expect(Buffer.byteLength(data)).toBe(MAX);
    stream.write(`data: ${data.slice(0, 500)}`);
    await recorder.waitFor('activity');
    stream.write(`${data.slice(500)}\n\n`);
    await recorder.waitFor('frame');
    expect(recorder.of('error')).toEqual([]);
    await transport.close();
  });
});
