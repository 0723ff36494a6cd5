namespace GenDsl;

/// <summary>
/// Something an <see cref="Optimizer"/> can train: a model, or a part of one (a GAN's generator), exposing
/// its parameters and the gradient of the loss with respect to them, element for element.
/// </summary>
/// <remarks>
/// Both are normally slices of pinned <see cref="Arena"/>s (generated models lay every tensor out in one
/// parameter arena and mirror it in one gradient arena), so the optimizer can capture them once and update
/// them in a single pass. The two must have the same length and must not overlap.
/// </remarks>
public interface IParameterized
{
    /// <summary>All trainable parameters, as one contiguous block.</summary>
    Memory<float> Parameters { get; }

    /// <summary>∂loss/∂parameters, same length and order as <see cref="Parameters"/>.</summary>
    Memory<float> Gradients { get; }

    /// <summary>
    /// Threads an optimizer may use for its update (generated models return the pool of their
    /// <see cref="ModelOptions"/>); null = the calling thread only. The update is elementwise, so the
    /// result does not depend on it.
    /// </summary>
    Threading.WorkerPool? Pool => null;
}
