-- moonstub --lua-test dump_descriptors.lua FILE...: every file's `descriptor`
-- on stdout, each as a line "@descriptor<TAB>path<TAB>length", then the bytes
-- and a newline (tests/py/reflection/conftest.py reads them).
local schema = ...
for _, file in ipairs(schema.files) do
  local bytes = file.descriptor
  if bytes then
    print("@descriptor\t" .. file.path .. "\t" .. #bytes)
    print(bytes)
  end
end
