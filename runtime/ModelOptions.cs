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

    /// <summary>
    /// Check that every input batch (data, latent rows, conditions) is finite before using it; a NaN or ∞
    /// throws an <see cref="ArgumentException"/> naming the argument, the row and the column. On by
    /// default: it is one vectorised pass over the batch (well under 1 % of a training step). Turn it off
    /// only when the data is known to be clean and every microsecond counts — then finiteness is the
    /// caller's duty, and a NaN silently turns the loss and the parameters into NaN.
    /// </summary>
    public bool CheckFinite { get; init; } = true;

    /// <summary>Throws when a setting is out of range, naming it and the fix.</summary>
    public void Validate()
    {
        if (MaxBatch < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, $"ModelOptions.MaxBatch is {MaxBatch}: it must be at least 1 (the largest batch you will pass).");
    }
}
