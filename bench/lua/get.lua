-- GET one path over and over: CONFIG.path, with CONFIG.if_none_match as If-None-Match
-- when given (the 304 path). A static request: wrk builds it once.

wrk.method = "GET"
wrk.path = CONFIG.path
wrk.headers["Content-Type"] = nil
if CONFIG.if_none_match then
   wrk.headers["If-None-Match"] = CONFIG.if_none_match
end

-- CONFIG.tokens (optional): many readers, each request under the next one's token in
-- turn (CONFIG.token is then unused). Requests are formatted once, here.
if CONFIG.tokens then
   local requests = {}
   for k, token in ipairs(CONFIG.tokens) do
      local headers = {["Authorization"] = "Bearer " .. token}
      if CONFIG.if_none_match then
         headers["If-None-Match"] = CONFIG.if_none_match
      end
      requests[k] = wrk.format("GET", CONFIG.path, headers)
   end
   local n, i = #requests, 0
   function request()
      i = i % n + 1
      return requests[i]
   end
end
