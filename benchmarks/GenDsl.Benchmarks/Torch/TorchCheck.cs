using TorchSharp;

namespace GenDsl.Benchmarks.Torch;

/// <summary>The <c>torch-check</c> command: loads TorchSharp (patching it if needed), reports what
/// was found, and checks <c>torch.matmul</c> on 2 threads against a naive double-precision product.</summary>
internal static class TorchCheck
{
    public static int Run()
    {
        string? stdcxx = TorchNativeLoader.FindLibStdCxx();
        Console.WriteLine($"libstdc++ in use : {stdcxx ?? "(not found)"}");
        if (stdcxx is not null)
        {
            var newest = ElfImage.Load(stdcxx).VersionDefinitions
                .Where(v => v.StartsWith("GLIBCXX_", StringComparison.Ordinal))
                .MaxBy(v => Version.TryParse(v[8..], out var x) ? x : new Version());
            Console.WriteLine($"newest GLIBCXX   : {newest}");
        }

        string native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(native))
        {
            // Before any patch: does a relocation reference GCC 13's iostream marker? (If none, the
            // dynamic linker never looks it up, and no shim library defining it is needed.)
            var elf = ElfImage.Load(native);
            int sym = elf.FindSymbol("_ZSt21ios_base_library_initv");
            Console.WriteLine($"libLibTorchSharp : {elf.SymbolCount} dynamic symbols; needs " +
                string.Join(", ", elf.VersionNeeds.Where(v => v.Name.StartsWith("GLIBCXX_3.4.3", StringComparison.Ordinal)).Select(v => v.Name)));
            if (sym > 0)
                Console.WriteLine($"ios_base_library_init: symbol #{sym}, version index {elf.GetSymbolVersion(sym)}, " +
                                  $"{elf.CountRelocationsAgainst(sym)} relocations against it");
        }

        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(2);
        Console.WriteLine($"torch threads    : {torch.get_num_threads()}");

        const int m = 67, k = 45, n = 31;
        var rng = new Random(1);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
        using var ta = torch.tensor(a, [m, k]);
        using var tb = torch.tensor(b, [k, n]);
        using var tc = torch.matmul(ta, tb);
        float[] c = tc.data<float>().ToArray();
        double maxErr = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
                maxErr = Math.Max(maxErr, Math.Abs(s - c[i * n + j]));
            }
        bool ok = maxErr < 1e-4;
        Console.WriteLine($"torch.matmul {m}x{k} * {k}x{n}: max |error| vs double = {maxErr:E2} -> {(ok ? "OK" : "WRONG")}");
        return ok ? 0 : 1;
    }
}
