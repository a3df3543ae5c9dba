vcl 4.1;
# Varnish in front of gunicorn (one host, or several: give each a backend and a director).
#
# It keeps pages as long as the app's s-maxage says (SHARED_MAX_AGE: a day, say) and drops
# them the moment the app purges their keys: the app names each page's keys in
# Surrogate-Key and, on every change, sends "PURGE /" with the keys that changed in
# xkey-purge (PURGE_VARNISH_URL=http://127.0.0.1:6081). Needs Debian's varnish-modules for
# xkey. Readers never see the keys, nor Surrogate-Control.

import xkey;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

# Who may purge: the app's hosts. A purge from anywhere else is refused.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Name the keys in xkey-purge"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone + " objects"));
    }
    # The app (FLASK_PROXY_FIX=1) builds links from these: never pass a reader's on, or a
    # forged one would be kept in a page every reader gets. Varnish sets X-Forwarded-For.
    unset req.http.X-Forwarded-Host;
    unset req.http.X-Forwarded-Proto;
    unset req.http.X-Forwarded-Port;
    unset req.http.X-Forwarded-Prefix;
    unset req.http.Forwarded;
}

sub vcl_hash {
    # Pages ignore their query string (?utm_source=…) except search's results: one copy
    # per page, as the app's own cache keeps, whatever a link appends.
    if (req.url ~ "^[^?]*/search(\?|$)") {
        hash_data(req.url);
    } else {
        hash_data(regsub(req.url, "\?.*$", ""));
    }
    if (req.http.host) {
        hash_data(req.http.host);
    } else {
        hash_data(server.ip);
    }
    return (lookup);
}

sub vcl_backend_response {
    # xkey takes an object's keys from its xkey header; the app says them in Surrogate-Key.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
}

sub vcl_deliver {
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
    unset resp.http.Surrogate-Control;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    set resp.http.X-Cache-Hits = obj.hits;
}
