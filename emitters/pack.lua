-- Plain Lua values as strings and back: what a worker process (host.parallel)
-- returns to the run. Strings, integers, floats, booleans and tables of them
-- (keys strings or numbers; no cycles, no shared subtables).
--
--   local text = pack.encode({ path = "a.py", names = { "A", "B" } })
--   local value = pack.decode(text)
local M = {}

local spack, sunpack = string.pack, string.unpack

local function encode(value, out)
  local t = type(value)
  if t == "string" then
    out[#out + 1] = spack("<c1s4", "s", value)
  elseif math.type(value) == "integer" then
    out[#out + 1] = spack("<c1j", "i", value)
  elseif t == "number" then
    out[#out + 1] = spack("<c1n", "n", value)
  elseif t == "boolean" then
    out[#out + 1] = value and "T" or "F"
  elseif t == "table" then
    local count = 0
    for _ in pairs(value) do count = count + 1 end
    out[#out + 1] = spack("<c1I4", "{", count)
    for k, v in pairs(value) do
      encode(k, out)
      encode(v, out)
    end
  else
    error("pack.encode: cannot encode a " .. t, 3)
  end
end

--- The string for `value`.
function M.encode(value)
  local out = {}
  encode(value, out)
  return table.concat(out)
end

local function decode(text, pos)
  local tag = text:sub(pos, pos)
  if tag == "s" then return sunpack("<s4", text, pos + 1) end
  if tag == "i" then return sunpack("<j", text, pos + 1) end
  if tag == "n" then return sunpack("<n", text, pos + 1) end
  if tag == "T" then return true, pos + 1 end
  if tag == "F" then return false, pos + 1 end
  if tag == "{" then
    local count
    count, pos = sunpack("<I4", text, pos + 1)
    local t = {}
    for _ = 1, count do
      local k, v
      k, pos = decode(text, pos)
      v, pos = decode(text, pos)
      t[k] = v
    end
    return t, pos
  end
  error(string.format("pack.decode: bad tag %q at %d", tag, pos), 0)
end

--- The value `text` (from encode) stands for.
function M.decode(text)
  local value, pos = decode(text, 1)
  if pos ~= #text + 1 then error("pack.decode: trailing bytes", 0) end
  return value
end

return M
