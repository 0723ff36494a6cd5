using CommunityToolkit.HighPerformance;

namespace GenDsl;

/// <summary>What every generated model (flow, VAE, GAN) offers beyond its typed methods: enough for tools (checkpoints, the CLI).</summary>
public interface IGenerativeModel : IParameterized
{
    /// <summary>Columns of a data row.</summary>
    int Features { get; }

    /// <summary>Columns of the condition Y (0: unconditional).</summary>
    int ConditionSize { get; }

    /// <summary>Learned parameters (without alignment padding).</summary>
    int ParameterCount { get; }

    /// <summary>The largest batch accepted.</summary>
    int MaxBatch { get; }

    /// <summary>Every parameter tensor with its checkpoint name, offset and shape.</summary>
    IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>
    /// The buffers (batch norm's running statistics): saved in checkpoints, not learned. Tensors with
    /// <see cref="TensorInfo.IsBuffer"/> live here; empty for a model without buffers.
    /// </summary>
    Memory<float> Buffers => Memory<float>.Empty;

    /// <summary>Hash of the declaration (architecture), stored in checkpoints.</summary>
    string DeclarationHash { get; }

    /// <summary>Saves the parameters (safetensors).</summary>
    void Save(string path, long step = 0);

    /// <summary>Loads parameters saved from the same declaration; returns the saved step.</summary>
    long Load(string path);
}

/// <summary>A model that draws its own training noise (VAE: ε; GAN: z): the position of that stream is part of a checkpoint, so a resumed run continues bit-identically.</summary>
public interface INoisyModel
{
    /// <summary>Position of the model's training-noise generator (see <see cref="Rng.Position"/>); the stream itself is seeded by ModelOptions.Seed, so resume with the same seed.</summary>
    ulong NoisePosition { get; set; }
}

/// <summary>A generated normalizing flow.</summary>
public interface IFlowModel : IGenerativeModel
{
}

/// <summary>A generated variational auto-encoder.</summary>
public interface IVaeModel : IGenerativeModel, INoisyModel
{
    /// <summary>Size of the latent Z.</summary>
    int LatentSize { get; }
}

/// <summary>A generated GAN: its two parts are optimised separately.</summary>
public interface IGanModel : IGenerativeModel, INoisyModel
{
    /// <summary>Size of the generator's noise Z.</summary>
    int NoiseSize { get; }

    /// <summary>The generator's parameters and gradients (for its optimizer).</summary>
    IParameterized GeneratorPart { get; }

    /// <summary>The discriminator's parameters and gradients (for its optimizer).</summary>
    IParameterized DiscriminatorPart { get; }
}

/// <summary>A contiguous slice of a model's parameter and gradient arenas, optimised on its own (a GAN's generator or discriminator).</summary>
public sealed class ParameterPart : IParameterized
{
    public ParameterPart(string name, Memory<float> parameters, Memory<float> gradients, Threading.WorkerPool? pool = null)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"Part '{name}' has {parameters.Length} parameters but {gradients.Length} gradients.", nameof(gradients));
        Name = name;
        Parameters = parameters;
        Gradients = gradients;
        Pool = pool;
    }

    /// <summary>"generator" or "discriminator".</summary>
    public string Name { get; }

    public Memory<float> Parameters { get; }

    public Memory<float> Gradients { get; }

    /// <summary>The model's threads, for the optimizer (null: the calling thread).</summary>
    public Threading.WorkerPool? Pool { get; }
}
