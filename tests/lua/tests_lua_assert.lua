-- Tiny assertion helpers for the Lua suites.
local M = {}

function M.eq(actual, expected, what)
  if actual ~= expected then
    error(string.format("%s: expected %s, got %s", what, tostring(expected), tostring(actual)), 2)
  end
end

function M.truthy(value, what)
  if not value then error(what .. ": expected a true value", 2) end
end

return M
