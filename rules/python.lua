-- Python's reserved words, soft keywords and the names generated modules
-- define or import, used by the escape hook of every naming policy.
local M = {}

local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

M.keywords = set {
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
  "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
  "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
  "try", "while", "with", "yield",
}

M.soft_keywords = set { "match", "case", "type", "_" }

--- True when `name` cannot be used as a Python identifier as is.
function M.is_reserved(name)
  return M.keywords[name] or M.soft_keywords[name] or false
end

return M
