-- `moonstub --summary`: a readable outline of the target files, with the
-- Python names the active naming rules give each element.
local M = {}

local function shape(method)
  if method.client_streaming and method.server_streaming then return "bidi stream" end
  if method.client_streaming then return "client stream" end
  if method.server_streaming then return "server stream" end
  return "unary"
end

local function field_type(field)
  if field.map then
    return string.format("map<%s, %s>", field_type(field.map.key), field_type(field.map.value))
  end
  return field.type_name or field.type
end

local function summarise_message(out, rules, message, indent)
  if message.is_map_entry then return end
  out[#out + 1] = string.format("%smessage %s -> class %s", indent, message.full_name,
    rules.message(message))
  for _, field in ipairs(message.fields) do
    local label = field.repeated and "repeated " or ""
    out[#out + 1] = string.format("%s  %s%s %s = %d (%s presence)", indent, label,
      field_type(field), rules.field(field), field.number, field.presence)
  end
  for _, nested in ipairs(message.messages) do summarise_message(out, rules, nested, indent .. "  ") end
end

function M.emit(ctx)
  local rules, out = ctx.rules, {}
  for _, file in ipairs(ctx.schema.files) do
    if file.is_target then
      out[#out + 1] = string.format("%s (%s, package %s) -> module %s", file.path, file.syntax,
        file.package or "(none)", rules.module(file))
      for _, message in ipairs(file.messages) do summarise_message(out, rules, message, "  ") end
      for _, enum in ipairs(file.enums) do
        out[#out + 1] = string.format("  enum %s -> class %s (%d values, %s)", enum.full_name,
          rules.enum(enum), #enum.values, enum.closed and "closed" or "open")
      end
      for _, service in ipairs(file.services) do
        out[#out + 1] = string.format("  service %s -> %s, %s", service.full_name,
          rules.service_stub(service), rules.service_servicer(service))
        for _, method in ipairs(service.methods) do
          out[#out + 1] = string.format("    /%s/%s -> %s (%s: %s -> %s)", service.full_name,
            method.name, rules.method(method), shape(method), method.input.full_name,
            method.output.full_name)
        end
      end
    end
  end
  print(table.concat(out, "\n"))
end

return M
