using System.Runtime.InteropServices;
using TorchSharp;

namespace GenDsl.Benchmarks.Torch;

/// <summary>
/// Loads TorchSharp's native backend, first repairing a known incompatibility when needed.
/// </summary>
/// <remarks>
/// <para>TorchSharp 0.107.0's <c>libLibTorchSharp.so</c> was built with GCC 13, whose
/// <c>&lt;iostream&gt;</c> makes every object file reference <c>std::ios_base_library_init()</c>
/// (<c>_ZSt21ios_base_library_initv</c>) with version <c>GLIBCXX_3.4.32</c>. The reference is a
/// <c>.globl</c> marker only (nothing calls the function and no relocation names it), but the version
/// need alone makes the dynamic linker refuse the library on systems whose libstdc++ stops at an
/// older version (Debian 12: GLIBCXX_3.4.30): "version `GLIBCXX_3.4.32' not found".</para>
/// <para>The repair, done in C# so that nothing beyond the .NET SDK is needed: in the copy of
/// <c>libLibTorchSharp.so</c> in our build output (next to libtorch, found through its
/// <c>$ORIGIN</c> RUNPATH) mark the symbols bound to the missing version as unversioned, make them
/// weak if any relocation does reference them (so they would resolve to 0 instead of failing), and
/// make the version need ask for a version the system library has (e.g. GLIBCXX_3.4.30). Only
/// symbols known to be link-time markers are accepted; anything else is reported as an error.
/// The patched file replaces the original atomically (write a temporary file, then rename), so a
/// process that has the old file mapped is not disturbed. A rebuild copies the original back; the
/// next start patches it again (it takes milliseconds).</para>
/// </remarks>
public static class TorchNativeLoader
{
    /// <summary>Symbols that may lose their version: GCC 13's iostream-initialisation marker.</summary>
    private static readonly string[] s_markerSymbols = ["_ZSt21ios_base_library_initv"];

    private const string LibraryFile = "libLibTorchSharp.so";

    private static readonly object s_gate = new();
    private static bool s_loaded;

    /// <summary>
    /// Makes sure TorchSharp's CPU backend is loaded (patching its native library first if this
    /// system's libstdc++ is too old for it). Idempotent and thread-safe; call it before any torch
    /// call. Throws <see cref="InvalidOperationException"/> with a diagnosis when loading fails.
    /// </summary>
    /// <param name="log">Where to report what was done (null: silent).</param>
    /// <remarks>Set the environment variable GENDSL_TORCH_NO_PATCH=1 to skip the repair (to see the
    /// original failure).</remarks>
    public static void EnsureLoaded(TextWriter? log = null)
    {
        lock (s_gate)
        {
            if (s_loaded) return;
            string diagnosis = "";
            if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
            {
                var copies = FindNativeCopies();
                if (Environment.GetEnvironmentVariable("GENDSL_TORCH_NO_PATCH") == "1")
                    diagnosis = "The libstdc++ patch was disabled (GENDSL_TORCH_NO_PATCH=1).";
                else
                    diagnosis = RepairIfNeeded(copies, log);

                // Load the library ourselves first, by full path: a failure then reports the dynamic
                // linker's own message, instead of TorchSharp's fallback (which copies ~500 MB of
                // natives into bin/.../cpu and then fails with a generic message). On success,
                // TorchSharp's own load of the same file just gets the same handle.
                if (copies.Count > 0)
                {
                    try
                    {
                        NativeLibrary.Load(copies[0]);
                    }
                    catch (DllNotFoundException e)
                    {
                        throw new InvalidOperationException(
                            $"TorchSharp's native library {copies[0]} failed to load: {e.Message} {diagnosis}", e);
                    }
                }
            }
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(
                    "TorchSharp's native backend (libtorch) failed to load. " + diagnosis +
                    " Check that the TorchSharp-cpu package restored its natives into the build output " +
                    "(runtimes/linux-x64/native/) and that the system has glibc >= 2.34. " +
                    "To see the dynamic linker's own error: LD_DEBUG=versions dotnet run ... " +
                    $"Original error: {e.GetType().Name}: {e.Message}", e);
            }
            s_loaded = true;
        }
    }

    /// <summary>Patches every copy of libLibTorchSharp.so the runtime may load; returns a diagnosis
    /// string for error messages.</summary>
    private static string RepairIfNeeded(List<string> copies, TextWriter? log)
    {
        string? stdcxx = FindLibStdCxx();
        if (stdcxx is null)
            return "Could not locate libstdc++.so.6 (is it installed?).";
        var available = new HashSet<string>(ElfImage.Load(stdcxx).VersionDefinitions, StringComparer.Ordinal);
        if (available.Contains("GLIBCXX_3.4.32"))
            return $"System libstdc++ ({stdcxx}) is recent enough; no patch was needed.";

        if (copies.Count == 0)
            return $"No {LibraryFile} was found in the native search directories.";
        foreach (string path in copies)
        {
            // Never edit the shared NuGet package cache: only copies in our own build output.
            if (path.Contains("/.nuget/packages/", StringComparison.OrdinalIgnoreCase)
                || (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } cache
                    && path.StartsWith(cache, StringComparison.Ordinal)))
            {
                log?.WriteLine($"[torch] not patching {path}: it is in the NuGet package cache");
                continue;
            }
            PatchFile(path, stdcxx, available, log);
        }
        return $"{LibraryFile} was checked against {stdcxx} (copies: {string.Join(", ", copies)}).";
    }

    /// <summary>Checks one copy of the library and, if some libstdc++ version it needs is missing,
    /// patches it in place (atomically).</summary>
    internal static void PatchFile(string path, string stdcxx, IReadOnlySet<string> available, TextWriter? log)
    {
        var elf = ElfImage.Load(path);
        var needs = elf.VersionNeeds.Where(v => v.File.StartsWith("libstdc++.so", StringComparison.Ordinal)).ToList();
        var missing = needs.Where(v => !available.Contains(v.Name)).ToList();
        if (missing.Count == 0) return; // already patched, or never needed it

        foreach (var need in missing)
        {
            // Which symbols are bound to the missing version? Only known markers may be unversioned.
            var bound = new List<int>();
            for (int i = 1; i < elf.SymbolCount; i++)
                if (elf.GetSymbolVersion(i) == need.Index) bound.Add(i);
            var unknown = bound.Select(elf.SymbolName).Where(n => !s_markerSymbols.Contains(n)).ToList();
            if (unknown.Count > 0)
                throw new InvalidOperationException(
                    $"{path} needs {need.Name} from libstdc++, which {stdcxx} does not provide, for symbols " +
                    $"{string.Join(", ", unknown)}. These are real functions, so the library cannot be patched " +
                    "safely: install a newer libstdc++ (GCC >= 13 runtime) or use an older TorchSharp.");

            string replacement = PickReplacement(need, needs, available)
                ?? throw new InvalidOperationException(
                    $"{path} needs {need.Name}; {stdcxx} lacks it and offers no other version of the same family.");

            foreach (int sym in bound)
            {
                elf.SetSymbolVersion(sym, ElfImage.VersionGlobal);
                // Normally there is no relocation against the marker, so the linker never looks it up.
                // If there were one, weak binding lets it resolve to 0 instead of failing the load.
                if (elf.CountRelocationsAgainst(sym) > 0) elf.MakeSymbolWeak(sym);
            }
            elf.RetargetVersionNeed(need, replacement);
            log?.WriteLine($"[torch] {Path.GetFileName(path)}: version need {need.Name} -> {replacement} " +
                           $"({string.Join(", ", bound.Select(elf.SymbolName))} unversioned), for {stdcxx}");
        }

        // Atomic replacement: a process that already mapped the old file keeps its (old) inode.
        string tmp = $"{path}.gendsl-{Environment.ProcessId}.tmp";
        elf.Save(tmp);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The newest version of the same family ("GLIBCXX_") that the system provides,
    /// preferring one this library already names (its string is then reused).</summary>
    private static string? PickReplacement(ElfImage.VersionNeed need, List<ElfImage.VersionNeed> needs, IReadOnlySet<string> available)
    {
        string family = need.Name[..(need.Name.IndexOf('_') + 1)];
        Version? wanted = ParseVersion(need.Name);
        IEnumerable<string> Candidates(IEnumerable<string> names) => names
            .Where(n => n.StartsWith(family, StringComparison.Ordinal) && available.Contains(n))
            .Where(n => ParseVersion(n) is { } v && (wanted is null || v < wanted));
        return Candidates(needs.Select(n => n.Name)).MaxBy(ParseVersion)
            ?? Candidates(available).Where(n => n.Length == need.Name.Length).MaxBy(ParseVersion);
    }

    private static Version? ParseVersion(string name) =>
        Version.TryParse(name[(name.IndexOf('_') + 1)..], out var v) ? v : null;

    /// <summary>The libstdc++ this process uses: the .NET runtime (libcoreclr) already loaded it, so
    /// torch will bind to the same one. Falls back to the usual Debian/Fedora locations.</summary>
    internal static string? FindLibStdCxx()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash >= 0 && line.AsSpan(slash).Contains("/libstdc++.so", StringComparison.Ordinal))
                    return line[slash..].Trim();
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        string[] candidates =
        [
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Every libLibTorchSharp.so the runtime's native probing can find: the directories
    /// listed in the app's deps.json (NATIVE_DLL_SEARCH_DIRECTORIES) and the app directory.</summary>
    private static List<string> FindNativeCopies()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string list)
            dirs.AddRange(list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(AppContext.BaseDirectory);
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        var found = new List<string>();
        foreach (string dir in dirs)
        {
            string file = Path.GetFullPath(Path.Combine(dir, LibraryFile));
            if (File.Exists(file) && !found.Contains(file)) found.Add(file);
        }
        return found;
    }
}
