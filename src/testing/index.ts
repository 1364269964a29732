export type { TaskOutcome, TaskRecord, TaskSpec } from '../dev-gateway/index.js';
export {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
  WaitError,
} from '../dev-gateway/index.js';
export { createRecordingLogger, type LogRecord } from './recording-logger.js';
export { runTask } from './run-task.js';
export {
  createTestContext,
  type TestContext,
  type TestContextOptions,
} from './test-context.js';
