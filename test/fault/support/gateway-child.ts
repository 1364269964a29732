/**
 * The reference gateway as a process of its own, for faults that are about the process
 * (SIGKILL, SIGSTOP). `node --import tsx gateway-child.ts '<DevGatewayOptions as JSON>'` prints
 * `READY <url>` once listening and closes on SIGTERM. Tests drive it through its `/__dev__/` API.
 */
import { createDevGateway } from '../../../src/dev-gateway/index.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const gw = await createDevGateway(options);
process.stdout.write(`READY ${gw.url}\n`);
process.on('SIGTERM', () => {
  void gw.close().then(() => process.exit(0));
});
