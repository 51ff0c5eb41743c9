// A tiny history-API router: the console serves index.html for every non-API path, so deep links work.
import { useEffect, useState } from 'react';

const EVENT = 'omamori:navigate';

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to); else history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
}

export function useLocation(): { path: string; search: URLSearchParams; hash: string } {
  const read = () => ({ path: location.pathname, search: new URLSearchParams(location.search), hash: location.hash });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const on = () => setLoc(read());
    window.addEventListener('popstate', on);
    window.addEventListener(EVENT, on);
    return () => { window.removeEventListener('popstate', on); window.removeEventListener(EVENT, on); };
  }, []);
  return loc;
}

/** `/policies/:id` against `/policies/abc` → { id: 'abc' }; undefined when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/'); const s = path.replace(/\/+$/, '').split('/');
  if (p.length !== s.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!; const b = s[i]!;
    if (a.startsWith(':')) out[a.slice(1)] = decodeURIComponent(b);
    else if (a !== b) return undefined;
  }
  return out;
}
