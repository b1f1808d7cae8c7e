-- libstorage's refresh of a zfs pool, run read-only in the kernel by lzc_channel_program_nosync.
-- Arguments: dataset = the pool's dataset (list the zvols directly under it, with its own space),
--            or volume = one zvol (describe only it).
-- Returns: { exists = bool, used = n, available = n, volumes = { [name] = { property = value } } }
local args = ...
local wanted = { "volsize", "volblocksize", "used", "referenced", "refreservation", "origin" }

local function describe(name)
    local props = {}
    for _, property in ipairs(wanted) do
        local value = zfs.get_prop(name, property)
        if value ~= nil and value ~= "" then
            props[property] = value
        end
    end
    return props
end

local result = { volumes = {} }
local one = args["volume"]
if one ~= nil then
    result.exists = zfs.exists(one) and zfs.get_prop(one, "type") == "volume"
    if result.exists then
        result.volumes[one] = describe(one)
    end
    return result
end

local parent = args["dataset"]
result.exists = zfs.exists(parent)
if not result.exists then
    return result
end
result.used = zfs.get_prop(parent, "used")
result.available = zfs.get_prop(parent, "available")
for child in zfs.list.children(parent) do
    if zfs.get_prop(child, "type") == "volume" then
        result.volumes[child] = describe(child)
    end
end
return result
