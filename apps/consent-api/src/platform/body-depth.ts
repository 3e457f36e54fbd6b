/**
 * How deep the API lets a JSON body nest. Lethe's deepest body is three levels (identities[0].type);
 * validation walks a body recursively, so a few kilobytes of `[[[[…]]]]` would otherwise overflow
 * the stack and answer 500.
 */
export const MAX_BODY_DEPTH = 32;

/** True when `value` nests deeper than `max` arrays or objects; walks without recursion. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}
