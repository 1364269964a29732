export {
  assertCapabilityType,
  assertConcurrency,
  assertScope,
  isCapabilityType,
} from './capability-type.js';
export {
  type CapabilityDefinition,
  type CapabilitySchema,
  type CapabilitySpec,
  defineCapability,
  type InferInput,
  type InferOutput,
  isCapabilityDefinition,
} from './define-capability.js';
export {
  type CapabilityOverrides,
  type CapabilityRegistration,
  type ResolvedCapability,
  resolveRegistration,
} from './registration.js';
export {
  checkJsonSerializable,
  compileJsonSchema,
  MAX_SCHEMA_ERROR_MESSAGE_LENGTH,
  MAX_SCHEMA_ERRORS,
  type SchemaContext,
  type SchemaPhase,
  type SerializableCheck,
  type ValidationResult,
  type Validator,
} from './validator.js';
export {
  fromZod,
  isZodSchema,
  type SchemaInput,
  type SchemaOutput,
  type ZodSchemaLike,
} from './zod.js';
