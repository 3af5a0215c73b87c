// Kubernetes resource quantities ("500m", "2", "1.5Gi", "128974848", "129e6") as plain numbers,
// for adding up requests and comparing them with what the nodes can allocate.
// Not the client's quantityToScalar: @kubernetes/client-node 1.4 does not export it from its index,
// it throws on fractional quantities such as "1.5Gi" (BigInt("1.5")), and it answers a BigInt for k…Ei.

const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The value of a quantity in base units (cores, bytes). Throws on a string that is not one. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = QUANTITY.exec(quantity.trim());
  if (!match) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
  const [, number, exponent, suffix] = match;
  return Number(number) * (exponent ? 10 ** Number(exponent.slice(1)) : SUFFIXES[suffix ?? '']);
}

// The client has no formatter for quantities: these two write them for people, in messages.
export function formatCpu(cores: number): string {
  if (Number.isInteger(cores)) return String(cores);
  return cores >= 1 ? cores.toFixed(1) : `${Math.round(cores * 1000)}m`;
}

export function formatMemory(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)}Gi` : `${Math.round(bytes / 2 ** 20)}Mi`;
}
