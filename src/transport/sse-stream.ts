/**
 * Bytes of the event stream → frames. eventsource-parser does the SSE framing ("`data:`,
 * `event:`, `id:`, `retry:`, `:` comments; LF, CR or CRLF line ends; multi-line `data`"); this
 * module decodes UTF-8 across chunk boundaries, bounds memory and validates each frame.
 */
import { createParser } from 'eventsource-parser';
import { FrameError } from '../errors.js';
import type { InboundFrame } from '../protocol/frames.js';
import { parseFrame } from '../protocol/validate-frame.js';

export interface SseDecoderCallbacks {
  /** A valid frame (unknown `type`s included) and the `id:` of its event, if it had one. */
  onFrame(frame: InboundFrame, id: string | undefined): void;
  /** An invalid optional field or list entry left out of a frame that was delivered. */
  onFieldIgnored(error: FrameError): void;
  /** A frame reported and skipped; the stream goes on. */
  onFrameError(error: FrameError): void;
  /** Every `id:` that reached an event, before its data is looked at (for `Last-Event-ID`). */
  onEventId(id: string): void;
  /** `retry: N`: "a hint for the next reconnect delay in ms". */
  onRetry(delayMs: number): void;
  /** A line the SSE grammar ignores (`unknown-field`, `invalid-retry`): debug logging only. */
  onIgnoredLine(kind: string): void;
}

export interface SseDecoder {
  feed(chunk: Uint8Array): void;
  /** Forget all partial input: required before every (re)open. */
  reset(): void;
}

/**
 * The parser's buffer holds the event's data plus the line still being read, `data: ` prefix
 * included; this slack keeps an event of exactly `maxFrameBytes` from tripping it. Frames are
 * measured exactly, in UTF-8 bytes, by `parseFrame`.
 */
const LINE_PREFIX_SLACK = 64;
const LF = 10;
const CR = 13;
const CR_LINE_END = /\r\n?/g;

export function createSseDecoder(maxFrameBytes: number, cb: SseDecoderCallbacks): SseDecoder {
  let utf8 = new TextDecoder();
  /** The previous chunk ended in CR: a LF opening this one is the rest of that CRLF. */
  let afterCr = false;
  let overflowed = false;
  /** Set after an oversized event: drops text up to the blank line that ends it. */
  let skipRest: ((text: string) => string | undefined) | undefined;

  const parser = createParser({
    maxBufferSize: maxFrameBytes + LINE_PREFIX_SLACK,
    onEvent(event) {
      if (event.id !== undefined) cb.onEventId(event.id);
      const result = parseFrame(event.data, maxFrameBytes);
      if (!result.ok) return cb.onFrameError(result.error);
      for (const ignored of result.ignored ?? []) cb.onFieldIgnored(ignored);
      cb.onFrame(result.frame, event.id);
    },
    onRetry: (delayMs) => cb.onRetry(delayMs),
    onError(error) {
      if (error.type === 'max-buffer-size-exceeded') overflowed = true;
      // The type only: the parser's message quotes the line, which could be anything.
      else cb.onIgnoredLine(error.type);
    },
  });

  /**
   * CR, LF and CRLF all end a line; the parser only ever sees LF. Without this, eventsource-parser
   * holds back a CR that ends a chunk (it may be half a CRLF) until more bytes come, which for a
   * CR-only gateway delays each event until the next ping, up to 15 s later.
   */
  function toLf(text: string): string {
    if (text === '') return text;
    const body = afterCr && text.charCodeAt(0) === LF ? text.slice(1) : text;
    afterCr = text.charCodeAt(text.length - 1) === CR;
    return body.includes('\r') ? body.replace(CR_LINE_END, '\n') : body;
  }

  function feedText(text: string): void {
    let rest: string | undefined = text;
    if (skipRest) {
      rest = skipRest(text);
      if (rest === undefined) return;
      skipRest = undefined;
      parser.reset();
    }
    parser.feed(rest);
    if (!overflowed) return;
    // The parser dropped what it held and refuses input until reset; the event's remaining
    // lines must not be read as a new event, so skip to the blank line that ends it.
    overflowed = false;
    skipRest = skipToEventEnd(rest.charCodeAt(rest.length - 1) === LF);
    cb.onFrameError(
      new FrameError('too-large', `frame exceeds maxFrameBytes (${maxFrameBytes} bytes); skipped`),
    );
  }

  return {
    feed: (chunk) => feedText(toLf(utf8.decode(chunk, { stream: true }))),
    reset() {
      utf8 = new TextDecoder();
      afterCr = false;
      overflowed = false;
      skipRest = undefined;
      parser.reset();
    },
  };
}

/**
 * A scanner for the first blank line (an event's end) in LF-only text; `atLineStart` says whether
 * the text before it ended a line. Returns the text after that line, or `undefined` while the
 * event goes on.
 */
function skipToEventEnd(atLineStart: boolean): (text: string) => string | undefined {
  let lineStart = atLineStart;
  return (text) => {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) !== LF) lineStart = false;
      else if (lineStart) return text.slice(i + 1);
      else lineStart = true;
    }
    return undefined;
  };
}
