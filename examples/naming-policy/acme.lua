-- Acme's naming policy for generated Python, applied with
--   moonstub --rules examples/naming-policy/acme.lua ...
--
-- Every hook receives the model node and the default implementation, so a
-- policy changes only what it must. Hooks left out keep the defaults.
return {
  -- every module under the company package: acme/demo_greeter.py
  module = function(file, default)
    return "acme." .. default(file)
  end,

  -- Fetch, not Get: GetUser -> fetch_user
  method = function(method, default)
    return (default(method):gsub("^get_", "fetch_"))
  end,

  -- clients are "<Service>Client"
  service_stub = function(service)
    return service.name .. "Client"
  end,
}
