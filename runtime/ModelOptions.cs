using GenDsl.Threading;

namespace GenDsl;

/// <summary>How a generated model is built: the largest batch it accepts (its arenas are sized once for it), the seed of its initial parameters, and the worker pool its kernels use.</summary>
public sealed class ModelOptions
{
    /// <summary>The largest batch any method accepts. Activation memory is allocated once for this many rows.</summary>
    public int MaxBatch { get; init; } = 256;

    /// <summary>Seed of the parameter initialisation (same seed, same thread count → bit-identical training).</summary>
    public ulong Seed { get; init; }

    /// <summary>The pool the GEMMs run on; null means <see cref="WorkerPool.Default"/> (all cores).</summary>
    public WorkerPool? Pool { get; init; }

    /// <summary>Throws when a setting is out of range, naming it and the fix.</summary>
    public void Validate()
    {
        if (MaxBatch < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, $"ModelOptions.MaxBatch is {MaxBatch}: it must be at least 1 (the largest batch you will pass).");
    }
}
