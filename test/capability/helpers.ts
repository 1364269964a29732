/** What `fn` threw; fails the test when it returns instead, or throws something not an `Error`. */
export function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a throw');
}
