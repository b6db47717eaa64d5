-- A source writer: lines with indentation, blocks, no trailing spaces, "\n"
-- endings and one final newline.
--
--   local w = Writer.new("    ")
--   w:line("class %s:", name)
--   w:block("def f(self) -> None:", function() w:line("pass") end)
--   local text = w:text()
local Writer = {}
Writer.__index = Writer

function Writer.new(indent_unit)
  return setmetatable({ buf = {}, n = 0, depth = 0, unit = indent_unit or "    ", prefix = "" }, Writer)
end

local function push(self, s)
  self.n = self.n + 1
  self.buf[self.n] = s
end

--- Writes one line (string.format when arguments follow).
function Writer:line(fmt, ...)
  local s = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  if s == "" then
    push(self, "")
  else
    push(self, (self.prefix .. s):gsub("%s+$", ""))
  end
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
  if self.n == 0 then return self end
  local have = 0
  while have < self.n and self.buf[self.n - have] == "" do have = have + 1 end
  for _ = have + 1, count do push(self, "") end
  return self
end

function Writer:indent()
  self.depth = self.depth + 1
  self.prefix = self.unit:rep(self.depth)
  return self
end

function Writer:dedent()
  self.depth = self.depth - 1
  self.prefix = self.unit:rep(self.depth)
  return self
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
  local n = self.n
  while n > 0 and self.buf[n] == "" do n = n - 1 end
  return table.concat(self.buf, "\n", 1, n) .. "\n"
end

return Writer
