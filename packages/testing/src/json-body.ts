/** A fetch response's JSON body, typed loosely: tests read it field by field. */
// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
export async function jsonBody(res: Response): Promise<any> {
  return res.json()
}
