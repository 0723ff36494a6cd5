using GenDsl.Benchmarks.Torch;

namespace GenDsl.Benchmarks;

/// <summary>Entry point: dispatches the benchmark commands (run without arguments for usage).</summary>
public static class Program
{
    private const string Usage = """
        GenDsl benchmarks

        Usage: dotnet run -c Release --project benchmarks/GenDsl.Benchmarks -- <command> [options]

        Commands:
          torch-check     Load TorchSharp (patching its native library for an old libstdc++ if
                          needed) and check torch.matmul on 2 threads.
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        switch (args[0])
        {
            case "torch-check":
                return TorchCheck.Run();
            default:
                Console.Error.WriteLine($"Unknown command '{args[0]}'.");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
}
