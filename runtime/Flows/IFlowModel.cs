using CommunityToolkit.HighPerformance;

namespace GenDsl;

/// <summary>What every generated flow offers beyond its typed methods: enough for tools (checkpoints, the CLI).</summary>
public interface IFlowModel : IParameterized
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

    /// <summary>Hash of the declaration (architecture), stored in checkpoints.</summary>
    string DeclarationHash { get; }

    /// <summary>Saves the parameters (safetensors).</summary>
    void Save(string path, long step = 0);

    /// <summary>Loads parameters saved from the same declaration; returns the saved step.</summary>
    long Load(string path);
}
