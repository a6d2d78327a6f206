/**
 * A request header's value as the client's bytes (WS-24, HTTP-36). Node's HTTP parser hands
 * header values over as latin1 strings, one character per byte; an H- variable made from one
 * as it is would be encoded again as UTF-8 on its way to the child (`café` arriving as
 * `cafÃ©`). Re-reading those bytes as UTF-8 gives the child the bytes the client sent
 * whenever they are UTF-8. Other bytes cannot be carried through a string environment: each
 * maximal invalid sequence becomes U+FFFD, as WS-07 does for output.
 */
const NON_ASCII = /[^\x00-\x7f]/;

export function headerText(latin1: string): string {
  return NON_ASCII.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}
