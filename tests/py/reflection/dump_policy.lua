-- A naming policy (rules=dump_policy.lua) for the plugin-mode tests of
-- tests/py/reflection: it changes no name, but prints the `descriptor` of
-- every file the run meets on stdout, in dump_descriptors.lua's format, before
-- the plugin writes its response there.
local seen = {}

local function dump(file)
  if seen[file.path] then return end
  seen[file.path] = true
  for _, import in ipairs(file.imports) do
    if import.file then dump(import.file) end
  end
  local bytes = file.descriptor
  if bytes then
    print("@descriptor\t" .. file.path .. "\t" .. #bytes)
    print(bytes)
  end
end

return {
  module = function(file, default)
    dump(file)
    return default(file)
  end,
}
