/**
 * A small parser for DuckDuckGo's keyless HTML results page (`html.duckduckgo.com/html/`).
 *
 * No HTML library: the page marks each result with stable class names, and the parser only
 * relies on those — an `<a class="result__a" href>` (title and link) followed by an element with
 * class `result__snippet`. Anything else on the page (ads, layout, scripts) is skipped.
 */

export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

// The opening tags that can carry a result's title or snippet, and one attribute in a tag.
const OPEN_TAG = /<(a|div|td|span)\b([^>]*)>/gi;
const ATTRIBUTE = /([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;

export function parseResults(html: string, limit = Number.POSITIVE_INFINITY): SearchResult[] {
  const lower = html.toLowerCase();
  const results: SearchResult[] = [];
  let current: SearchResult | undefined;
  for (const match of html.matchAll(OPEN_TAG)) {
    const [openTag, tagName = '', attributes = ''] = match;
    const attrs = parseAttributes(attributes);
    const classes = (attrs.class ?? '').split(/\s+/);
    const tag = tagName.toLowerCase();
    const isTitle = tag === 'a' && classes.includes('result__a');
    if (!isTitle && !classes.includes('result__snippet')) continue;
    // The element's content runs to its closing tag (titles and snippets hold no nested block).
    const start = match.index + openTag.length;
    const end = lower.indexOf(`</${tag}`, start);
    const content = text(html.slice(start, end === -1 ? undefined : end));
    if (isTitle) {
      const url = resultUrl(attrs.href);
      current = url && content ? { title: content, url, snippet: '' } : undefined;
      if (current) results.push(current);
    } else if (current) {
      current.snippet = content;
      current = undefined;
    }
  }
  return results.slice(0, limit);
}

/** Whether the page is a bot check rather than results (DuckDuckGo answers those 202). */
export function isChallengePage(html: string): boolean {
  return /anomaly-modal|challenge-form/.test(html);
}

function parseAttributes(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const [, name, dq, sq, bare] of source.matchAll(ATTRIBUTE)) {
    if (name) attrs[name.toLowerCase()] = decodeEntities(dq ?? sq ?? bare ?? '');
  }
  return attrs;
}

/**
 * The target of a result link. DuckDuckGo wraps it in a redirect
 * (`//duckduckgo.com/l/?uddg=<encoded url>&rut=…`); ads go through `/y.js` and are dropped.
 */
function resultUrl(href: string | undefined): string | undefined {
  if (!href) return undefined;
  let url: URL;
  try {
    url = new URL(href, 'https://duckduckgo.com/');
  } catch {
    return undefined;
  }
  if (url.hostname.endsWith('duckduckgo.com')) {
    const target = url.pathname === '/l/' ? url.searchParams.get('uddg') : null;
    if (!target) return undefined;
    return resultUrl(target);
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
}

/** The text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed. */
function text(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''))
    .replace(/\s+/g, ' ')
    .trim();
}

// The named entities result pages use; numeric ones (`&#8212;`, `&#x27;`) are all decoded.
const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  rarr: '→',
  larr: '←',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] !== '#') return NAMED[body.toLowerCase()] ?? entity;
    const code =
      body[1] === 'x' || body[1] === 'X'
        ? Number.parseInt(body.slice(2), 16)
        : Number(body.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}
