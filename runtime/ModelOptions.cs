namespace GenDsl;

/// <summary>
/// Construction options shared by every generated model: they fix the sizes of the arenas (allocated once,
/// in the constructor) and the random stream of the initialisation.
/// </summary>
public sealed class ModelOptions
{
    /// <summary>
    /// Largest batch the model will ever see: the activation and workspace arenas are sized for it, so calls
    /// with up to this many rows allocate nothing. Default 256; must be ≥ 1.
    /// </summary>
    public int MaxBatch { get; init; } = 256;

    /// <summary>Seed of the model's <see cref="Rng"/> (parameter initialisation, dropout, sampling). Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Worker threads for the kernels; 0 (the default) means the shared default pool. Must be ≥ 0.</summary>
    public int Threads { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> if an option is out of range.</summary>
    public void Validate()
    {
        if (MaxBatch < 1)
            throw new ArgumentException(
                $"ModelOptions.MaxBatch is {MaxBatch}; it must be at least 1 (it sizes the activation buffers: pass the largest batch you will use).",
                nameof(MaxBatch));
        if (Threads < 0)
            throw new ArgumentException(
                $"ModelOptions.Threads is {Threads}; pass 0 for the default pool or a positive thread count.",
                nameof(Threads));
    }
}
