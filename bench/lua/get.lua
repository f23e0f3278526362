-- GET one path over and over: CONFIG.path, with CONFIG.if_none_match as If-None-Match
-- when given (the 304 path). A static request: wrk builds it once.

wrk.method = "GET"
wrk.path = CONFIG.path
wrk.headers["Content-Type"] = nil
if CONFIG.if_none_match then
   wrk.headers["If-None-Match"] = CONFIG.if_none_match
end
