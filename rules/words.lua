-- Word splitting and case conversion with LPeg, shared by every naming
-- policy. "HTTPServer" -> {"HTTP", "Server"}, "ListURLs" -> {"List", "URLs"},
-- "getV2" -> {"get", "V2"}, "GetID" -> {"Get", "ID"}, "say_hello" -> {"say", "hello"}.
local lpeg = require("lpeg")
local P, R, C, Ct = lpeg.P, lpeg.R, lpeg.C, lpeg.Ct

local upper, lower, digit = R("AZ"), R("az"), R("09")
-- an uppercase letter that does not start a Capitalised word
local acronym_letter = upper * #(-lower)

local acronym_plural = upper * acronym_letter ^ 0 * upper * P("s") * -lower -- URLs, IDs
local word = upper ^ -1 * lower ^ 1 * digit ^ 0                              -- Get, server, v2
local acronym = acronym_letter ^ 1 * digit ^ 0                                -- HTTP, ID, V2
local number = digit ^ 1
local separator = (1 - (upper + lower + digit)) ^ 1

local words_pattern = Ct((C(acronym_plural + word + acronym + number) + separator) ^ 0) * -1

local M = {}

--- The words of an identifier, in order.
function M.split(name)
  return words_pattern:match(name) or { name }
end

local function join_lower(words, sep)
  local out = {}
  for i, w in ipairs(words) do out[i] = w:lower() end
  return table.concat(out, sep)
end

--- say_hello
function M.snake(name)
  local leading = name:match("^_+") or ""
  return leading .. join_lower(M.split(name), "_")
end

--- SCREAMING_SNAKE
function M.screaming_snake(name)
  return M.snake(name):upper()
end

--- PascalCase: each word capitalised, acronyms kept as written.
function M.pascal(name)
  local out = {}
  for i, w in ipairs(M.split(name)) do
    out[i] = w:sub(1, 1):upper() .. w:sub(2)
  end
  return table.concat(out)
end

--- lowerCamelCase: the first word in lower case, the others capitalised.
function M.camel(name)
  local parts = M.split(name)
  local out = {}
  for i, w in ipairs(parts) do
    out[i] = i == 1 and w:lower() or (w:sub(1, 1):upper() .. w:sub(2))
  end
  return table.concat(out)
end

return M
