namespace GenDsl.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine("GenDsl benchmarks: under construction.");
        return 0;
    }
}
