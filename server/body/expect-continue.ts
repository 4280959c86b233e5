import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `Expect: 100-continue` answered only once someone reads the body.
 *
 * Node answers 100 Continue as soon as the headers arrive unless the server has a
 * 'checkContinue' listener; then the request arrives without it and the server must
 * call `res.writeContinue()` itself. Strata installs that listener (server/app.ts) and
 * calls this: the 100 goes out the first time the body stream is read (readBody's
 * feed, POST Object's form parser, anything that consumes `req`), so a request refused
 * before its body is read (authentication, access, preconditions) gets only its final
 * response and the client never sends the body (RFC 9110 §10.1.1; ceph/s3-tests
 * test_100_continue).
 *
 * The hook is on the Readable's `_read`, which runs when a consumer first asks for data
 * (a 'data' listener, `resume()`, `read()`, `pipe`). No 100 once the response has
 * started: after the final response Node drains (`_dump`) the unread body, which reads
 * too. Node then also stops keep-alive on that connection, as it should, since the
 * client may send the body or not.
 */
export function deferContinue(req: IncomingMessage, res: ServerResponse): void {
  const read = req._read;
  req._read = function readAfterContinue(this: IncomingMessage, size: number): void {
    req._read = read;
    if (!res.headersSent && !res.writableEnded) res.writeContinue();
    read.call(this, size);
  };
}
