using GenDsl.Cli.Models;

namespace GenDsl.Cli.Commands;

/// <summary><c>--pytorch DIR</c>: the model's <c>ExportPyTorch</c> (its Python module and weights) into DIR.</summary>
internal sealed partial class ExportCommand
{
    private static readonly OptionSpec PyTorchOption =
        OptionSpec.Value("--pytorch", "DIR", "write DIR/<Class>.py (a torch.nn.Module) and DIR/<Class>.safetensors (its state dict)");

    private static void ExportPyTorch(ModelSession session, long step, string directory, CliContext context)
    {
        var model = session.GenerativeModel;
        if (model is not IPyTorchExportable exportable)
            throw CliException.Usage($"{session.Entry.Name} has no PyTorch export.");
        exportable.ExportPyTorch(directory, step); // the checkpoint's step, not 0: the exported file records how far training went
        string name = model.GetType().Name;
        context.Out.WriteLine($"Wrote {Path.Combine(directory, name + ".py")} and {Path.Combine(directory, name + ".safetensors")} ({session.Entry.Name}, checkpoint step {step}, {model.ParameterCount:N0} parameters).");
        context.Out.WriteLine($"  python3: from {name} import {name}; m = {name}(); m.load_safetensors(\"{Path.Combine(directory, name + ".safetensors")}\")");
        if (session.Entry.Transform.Python is { } transform)
        {
            File.WriteAllText(Path.Combine(directory, "data_transform.py"), transform.ReplaceLineEndings("\n") + "\n");
            context.Out.WriteLine($"  note: gendsl trains {session.Entry.Name} on transformed rows, {session.Entry.Transform.Description}; the module takes and returns those rows,");
            context.Out.WriteLine($"  and {Path.Combine(directory, "data_transform.py")} has to_model(data) and to_data(rows).");
        }
    }
}
