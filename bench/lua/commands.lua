-- The command mix: add card, move card, edit card in turn, over CONFIG.boards
-- ({id, columns = {ids}, cards = {{id, column index}}}). Every command changes
-- something (one event each): a move goes to another column than the card's
-- (tracked here: one wrk thread, so one Lua state), at position 0; an edit sets a
-- title never used before (CONFIG.tag is new each run); an add appends to a
-- column. Bodies are small JSON objects, as the web UI sends them. bench/http.py
-- reads the cards' columns back from the board after every run.

local boards = CONFIG.boards
local cards = {}
for _, board in ipairs(boards) do
   for _, card in ipairs(board.cards) do
      cards[#cards + 1] = { board = board, id = card[1], column = card[2] }
   end
end
local prefix = CONFIG.prefix or "/api/v1/boards/"
local tag = CONFIG.tag or "0"
local n, next_card, next_board = 0, 0, 0

function request()
   n = n + 1
   local kind = n % 3
   if kind == 0 then
      next_board = next_board + 1
      local board = boards[(next_board % #boards) + 1]
      local column = board.columns[(n % #board.columns) + 1]
      local body = string.format('{"column_id": "%s", "title": "Bench card %s-%d", "labels": ["bench"]}',
         column, tag, n)
      return wrk.format("POST", prefix .. board.id .. "/cards", nil, body)
   end
   next_card = next_card + 1
   local card = cards[(next_card % #cards) + 1]
   local path = prefix .. card.board.id .. "/cards/" .. card.id
   if kind == 1 then
      local columns = card.board.columns
      card.column = (card.column % #columns) + 1 -- the next column, never the same one
      local body = string.format('{"column_id": "%s", "position": 0}', columns[card.column])
      return wrk.format("POST", path .. "/move", nil, body)
   end
   return wrk.format("PATCH", path, nil, string.format('{"title": "Edited %s-%d"}', tag, n))
end
