-- A source writer: lines with indentation, blocks, no trailing spaces, "\n"
-- endings and one final newline.
--
--   local w = Writer.new("    ")
--   w:line("class %s:", name)
--   w:block("def f(self) -> None:", function() w:line("pass") end)
--   local text = w:text()
--
-- Pieces are kept in one array (indent, text, newline) and joined once.
local Writer = {}
Writer.__index = Writer

local format, concat, rep = string.format, table.concat, string.rep

function Writer.new(indent_unit)
  return setmetatable({ buf = {}, n = 0, depth = 0, unit = indent_unit or "    ", prefix = "",
    blanks = 0, started = false }, Writer)
end

--- Writes one line (string.format when arguments follow).
function Writer:line(fmt, ...)
  local s = select("#", ...) > 0 and format(fmt, ...) or fmt
  local buf, n = self.buf, self.n
  if s == "" then
    buf[n + 1] = "\n"
    self.n = n + 1
    self.blanks = self.blanks + 1
    return self
  end
  local last = s:byte(-1)
  if last == 32 or last == 9 then s = s:gsub("%s+$", "") end
  if self.depth > 0 then
    buf[n + 1] = self.prefix
    n = n + 1
  end
  buf[n + 1] = s
  buf[n + 2] = "\n"
  self.n = n + 2
  self.blanks = 0
  self.started = true
  return self
end

--- Writes several lines given as one string with "\n" separators.
function Writer:lines(text)
  for l in (text .. "\n"):gmatch("(.-)\n") do self:line(l) end
  return self
end

--- Ensures `count` (default 1) blank lines end the text so far.
function Writer:blank(count)
  count = count or 1
  if not self.started then return self end
  for _ = self.blanks + 1, count do self:line("") end
  return self
end

function Writer:indent()
  self.depth = self.depth + 1
  self.prefix = rep(self.unit, self.depth)
  return self
end

function Writer:dedent()
  self.depth = self.depth - 1
  self.prefix = rep(self.unit, self.depth)
  return self
end

--- The width of the current indentation, in characters.
function Writer:indent_width()
  return #self.prefix
end

--- Writes `header`, then what `fn` writes one level deeper.
function Writer:block(header, fn, ...)
  if header then self:line(header, ...) end
  self:indent()
  fn()
  self:dedent()
  return self
end

--- The text written so far, with exactly one final newline.
function Writer:text()
  local n = self.n - self.blanks
  if n <= 0 then return "\n" end
  return concat(self.buf, "", 1, n)
end

return Writer
