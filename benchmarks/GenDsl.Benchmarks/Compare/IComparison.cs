namespace GenDsl.Benchmarks.Compare;

/// <summary>
/// One workload timed for both implementations: ours (GenDsl) and the TorchSharp (libtorch)
/// baseline. Implementations own their inputs and outputs, allocated once in the constructor, so
/// that <see cref="RunOurs"/> and <see cref="RunTorch"/> time only the operation itself.
/// </summary>
/// <remarks>To add a workload family (e.g. whole-model forward/backward passes), implement this
/// interface and register a suite in <see cref="CompareCommand"/>.</remarks>
public interface IComparison : IDisposable
{
    /// <summary>Stable name used in tables and JSON, e.g. "gemm-nn-1024x1024x1024".</summary>
    string Name { get; }

    /// <summary>Floating-point operations per call (for GFLOP/s and % of peak); 0 if not meaningful.</summary>
    double Flops { get; }

    /// <summary>Runs our implementation once.</summary>
    void RunOurs();

    /// <summary>Runs the TorchSharp baseline once.</summary>
    void RunTorch();

    /// <summary>Runs both once and returns max |ours - torch| / max |torch| over the outputs: a
    /// sanity check that both compute the same thing.</summary>
    double Verify();
}
