/**
 * What the bench's tasks carry: a no-op input, a ~8 KiB input for the flood of queued leases,
 * and a realistic order-pricing task with its input and output schemas as JSON Schema (validated
 * by ajv) and as zod (via defineCapability).
 */
import { z } from 'zod';

export const NOOP_TYPE = 'bench/noop';
export const ORDER_TYPE = 'bench/orders/price';

/**
 * How a capability's handler behaves in a scenario. `flood` is the no-op handler fed
 * `floodInput`s: the cost of holding and parsing big queued leases, not of handling them.
 */
export type HandlerMode = 'noop' | 'park' | 'ajv' | 'zod' | 'flood';

export function noopInput(i: number): unknown {
  return { i };
}

const FLOOD_RECORDS = 64;
const FLOOD_NOTE = 'n'.repeat(62);

/**
 * About 8 KiB of JSON (8.2 KB): 64 records of ~128 B, many small objects, as a real batch parses
 * into, rather than one long string that costs almost nothing to hold.
 */
export function floodInput(i: number): unknown {
  const task = String(i).padStart(8, '0');
  return {
    i,
    records: Array.from({ length: FLOOD_RECORDS }, (_, k) => ({
      id: `rec-${task}-${String(k).padStart(2, '0')}`,
      at: 1_767_225_600_000 + i * 1000 + k,
      value: (i * 31 + k * 17) % 1000,
      note: FLOOD_NOTE,
    })),
  };
}

const TIERS = ['free', 'pro', 'enterprise'] as const;
const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;

/** A plausible order: a customer, 5 to 12 lines, some metadata (about 1 KB of JSON). */
export function orderInput(i: number): unknown {
  const lines = 5 + (i % 8);
  return {
    orderId: `ord-${String(i).padStart(8, '0')}`,
    createdAt: new Date(1_767_225_600_000 + i * 1000).toISOString(),
    currency: CURRENCIES[i % 3],
    customer: {
      id: `cus-${(i * 7919) % 100_000}`,
      email: `customer${i % 1000}@example.com`,
      name: `Customer ${i % 1000}`,
      tier: TIERS[i % 3],
    },
    items: Array.from({ length: lines }, (_, k) => ({
      sku: `SKU-${String((i + k) % 10_000).padStart(5, '0')}`,
      quantity: 1 + ((i + k) % 4),
      unitPrice: Math.round((5 + ((i * 31 + k * 17) % 200)) * 100) / 100,
    })),
    discountCode: i % 5 === 0 ? 'WINTER10' : undefined,
    metadata: { channel: i % 2 ? 'web' : 'mobile', region: `r-${i % 12}` },
  };
}

interface OrderInput {
  orderId: string;
  currency: string;
  customer: { tier: string };
  items: { sku: string; quantity: number; unitPrice: number }[];
  discountCode?: string;
}

/** The handler's work: price the order (the same for the SDK and the raw client). */
export function priceOrder(input: unknown): unknown {
  const order = input as OrderInput;
  const lines = order.items.map((item) => ({
    sku: item.sku,
    subtotal: Math.round(item.quantity * item.unitPrice * 100) / 100,
  }));
  const gross = lines.reduce((sum, line) => sum + line.subtotal, 0);
  const rate = (order.discountCode ? 0.1 : 0) + (order.customer.tier === 'enterprise' ? 0.05 : 0);
  return {
    orderId: order.orderId,
    currency: order.currency,
    itemCount: lines.length,
    total: Math.round(gross * (1 - rate) * 100) / 100,
    discountRate: rate,
    status: gross > 500 ? 'review' : 'approved',
    lines,
  };
}

export const orderInputSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'createdAt', 'currency', 'customer', 'items'],
  properties: {
    orderId: { type: 'string', pattern: '^ord-[0-9]{8}$' },
    createdAt: { type: 'string', format: 'date-time' },
    currency: { enum: [...CURRENCIES] },
    customer: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'email', 'name', 'tier'],
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 64 },
        email: { type: 'string', format: 'email' },
        name: { type: 'string', minLength: 1, maxLength: 200 },
        tier: { enum: [...TIERS] },
      },
    },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'quantity', 'unitPrice'],
        properties: {
          sku: { type: 'string', pattern: '^SKU-[0-9]{5}$' },
          quantity: { type: 'integer', minimum: 1, maximum: 1000 },
          unitPrice: { type: 'number', minimum: 0 },
        },
      },
    },
    discountCode: { type: 'string', maxLength: 32 },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export const orderOutputSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'currency', 'itemCount', 'total', 'discountRate', 'status', 'lines'],
  properties: {
    orderId: { type: 'string' },
    currency: { enum: [...CURRENCIES] },
    itemCount: { type: 'integer', minimum: 0 },
    total: { type: 'number', minimum: 0 },
    discountRate: { type: 'number', minimum: 0, maximum: 1 },
    status: { enum: ['approved', 'review'] },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'subtotal'],
        properties: { sku: { type: 'string' }, subtotal: { type: 'number', minimum: 0 } },
      },
    },
  },
} as const;

export const orderInputZod = z.strictObject({
  orderId: z.string().regex(/^ord-[0-9]{8}$/),
  createdAt: z.iso.datetime(),
  currency: z.enum(CURRENCIES),
  customer: z.strictObject({
    id: z.string().min(1).max(64),
    email: z.email(),
    name: z.string().min(1).max(200),
    tier: z.enum(TIERS),
  }),
  items: z
    .array(
      z.strictObject({
        sku: z.string().regex(/^SKU-[0-9]{5}$/),
        quantity: z.int().min(1).max(1000),
        unitPrice: z.number().min(0),
      }),
    )
    .min(1)
    .max(100),
  discountCode: z.string().max(32).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export const orderOutputZod = z.strictObject({
  orderId: z.string(),
  currency: z.enum(CURRENCIES),
  itemCount: z.int().min(0),
  total: z.number().min(0),
  discountRate: z.number().min(0).max(1),
  status: z.enum(['approved', 'review']),
  lines: z.array(z.strictObject({ sku: z.string(), subtotal: z.number().min(0) })),
});

/** Which capability type and inputs a handler mode uses. */
export function workloadOf(mode: HandlerMode): {
  capabilityType: string;
  input: (i: number) => unknown;
} {
  if (mode === 'ajv' || mode === 'zod') return { capabilityType: ORDER_TYPE, input: orderInput };
  return { capabilityType: NOOP_TYPE, input: mode === 'flood' ? floodInput : noopInput };
}
