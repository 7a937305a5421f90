import fs from 'node:fs';

// Counting what a V8 heap snapshot (a `.heapsnapshot` file, as `node --heapsnapshot-signal` writes) holds,
// so a test can assert how many objects of a kind a process keeps, not how long anything took.

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** What a snapshot holds: closures by the script that defines them, and objects by constructor name. */
export interface HeapCounts {
  /** Live closures whose code comes from a script whose URL passes `scriptFilter`. */
  closures: number;
  /** Live objects by constructor name (e.g. `Timeout`, `TLSSocket`). */
  objects: Map<string, number>;
  /**
   * The JavaScript data a program keeps: how many objects, arrays (an object's elements, a Map's or Set's
   * table) and boxed numbers there are and their bytes (self sizes), and the bytes of strings and of
   * property arrays (the properties an object got after its shape was made). Compiled code, feedback and
   * V8's own bookkeeping are left out: they grow as the program warms up, not with what it holds.
   */
  data: { count: number; bytes: number };
}

/** Node types whose count and size are a program's data (see HeapCounts.data). */
const DATA_TYPES = new Set(['object', 'array', 'number', 'string', 'concatenated string', 'sliced string']);

/** Counts of the snapshot in `file`; closures are those defined in scripts whose URL passes `scriptFilter`. */
export function heapCounts(file: string, scriptFilter: (url: string) => boolean): HeapCounts {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const { node_fields: nf, node_types: [nodeTypes], edge_fields: ef } = snap.snapshot.meta;
  const { nodes, edges, strings } = snap;
  const nl = nf.length;
  const el = ef.length;
  const typeAt = nf.indexOf('type');
  const nameAt = nf.indexOf('name');
  const sizeAt = nf.indexOf('self_size');
  const edgeCountAt = nf.indexOf('edge_count');
  const edgeNameAt = ef.indexOf('name_or_index');
  const edgeToAt = ef.indexOf('to_node');
  const internal = snap.snapshot.meta.edge_types[0].indexOf('internal');
  const edgeTypeAt = ef.indexOf('type');
  // Where each node's edges start (edges are stored in node order).
  const firstEdge = new Uint32Array(nodes.length / nl + 1);
  for (let i = 0, e = 0; i < nodes.length / nl; i++) {
    firstEdge[i] = e;
    e += nodes[i * nl + edgeCountAt]! * el;
  }
  /** The node an internal edge called `name` of node `i` leads to, or -1. */
  const follow = (i: number, name: string): number => {
    for (let e = firstEdge[i]!, end = e + nodes[i * nl + edgeCountAt]! * el; e < end; e += el) {
      if (edges[e + edgeTypeAt] === internal && strings[edges[e + edgeNameAt]!] === name) return edges[e + edgeToAt]! / nl;
    }
    return -1;
  };
  let closures = 0;
  const objects = new Map<string, number>();
  const data = { count: 0, bytes: 0 };
  for (let i = 0; i < nodes.length / nl; i++) {
    const type = nodeTypes[nodes[i * nl + typeAt]!]!;
    if (DATA_TYPES.has(type) || (type === 'hidden' && strings[nodes[i * nl + nameAt]!] === 'system / PropertyArray')) {
      if (!type.includes('string')) data.count++;
      data.bytes += nodes[i * nl + sizeAt]!;
    }
    if (type === 'object') {
      const name = strings[nodes[i * nl + nameAt]!]!;
      objects.set(name, (objects.get(name) ?? 0) + 1);
    } else if (type === 'closure') {
      const shared = follow(i, 'shared');
      const script = shared < 0 ? -1 : follow(shared, 'script_or_debug_info');
      if (script >= 0 && scriptFilter(strings[nodes[script * nl + nameAt]!]!)) closures++;
    }
  }
  return { closures, objects, data };
}
