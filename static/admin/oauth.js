/* The end of the sign-in popup (blog/web/oauth.py): hand the result to the editor's window.
 *
 * Decap's authenticator and this page greet each other first ("authorizing:<provider>"), and
 * every message goes to the site's own origin only: a window of another origin that opened
 * this popup is never sent the token.
 */
(function () {
  "use strict";
  var result = JSON.parse(document.getElementById("oauth-result").textContent);
  var opener = window.opener;
  if (!opener) {
    return;
  }
  var greeting = "authorizing:" + result.provider;
  var answer =
    "authorization:" + result.provider + ":" + result.status + ":" + JSON.stringify(result.content);
  window.addEventListener("message", function receive(event) {
    if (event.origin !== result.origin || event.source !== opener || event.data !== greeting) {
      return;
    }
    window.removeEventListener("message", receive);
    opener.postMessage(answer, result.origin);
  });
  opener.postMessage(greeting, result.origin);
})();
