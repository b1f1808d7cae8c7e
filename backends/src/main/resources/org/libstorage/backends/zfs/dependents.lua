-- What keeps a zvol from being destroyed, read-only: its snapshots, each with the clones made
-- from it. Arguments: volume = the zvol. Returns: { [snapshot] = { [clone] = true } }
local args = ...
local snapshots = {}
for snapshot in zfs.list.snapshots(args["volume"]) do
    local clones = {}
    for clone in zfs.list.clones(snapshot) do
        clones[clone] = true
    end
    snapshots[snapshot] = clones
end
return snapshots
