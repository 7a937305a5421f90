import type { Segment, Style } from './lines.js';

// Marking spans of a line (search matches) on its styled segments: the segments are split at the spans'
// edges and the marked pieces drawn with `mark` over their own style, so colours around them stay.

/** A span of the line's whole text, [start, end) in UTF-16 units, as search.ts reports them. */
export interface MarkSpan {
  start: number;
  end: number;
}

/** `segments` with the text inside `spans` restyled by `mark`. Spans must be sorted and not overlap. */
export function markSpans(segments: readonly Segment[], spans: readonly MarkSpan[], mark: Style): Segment[] {
  if (spans.length === 0) return [...segments];
  const out: Segment[] = [];
  let offset = 0;
  for (const seg of segments) {
    const end = offset + seg.text.length;
    let at = offset;
    for (const sp of spans) {
      if (sp.end <= at || sp.start >= end) continue;
      const a = Math.max(sp.start, at);
      const b = Math.min(sp.end, end);
      if (a > at) out.push(piece(seg, at - offset, a - offset));
      out.push({ text: seg.text.slice(a - offset, b - offset), style: { ...seg.style, ...mark } });
      at = b;
    }
    if (at < end) out.push(piece(seg, at - offset, end - offset));
    offset = end;
  }
  return out;
}

function piece(seg: Segment, from: number, to: number): Segment {
  return seg.style ? { text: seg.text.slice(from, to), style: seg.style } : { text: seg.text.slice(from, to) };
}
