-- Python output (message classes and codecs arrive with the message issue).
local M = {}

function M.emit(ctx)
  ctx.host.report("error", "--python_out: Python generation is not available in this build yet")
end

return M
