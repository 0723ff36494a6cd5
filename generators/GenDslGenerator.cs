using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Networks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace GenDsl.Generators;

/// <summary>
/// The GenDsl incremental generator: find the model attributes → parse each class into a plain spec →
/// validate (invalid models are skipped, apart from stubs that let the analyzers' errors through; the analyzers report why) → plan the memory layout → emit.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GenDslGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var flows = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                FlowParser.FlowAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => FlowParser.Parse((INamedTypeSymbol)ctx.TargetSymbol, ctx.Attributes[0], ct))
            .WithTrackingName(TrackingNames.FlowSpecs);

        var valid = flows
            .Where(static spec => !FlowValidator.Validate(spec).Any(d => d.IsError))
            .WithTrackingName(TrackingNames.ValidFlows);

        var plans = valid
            .Select(static (spec, _) => (Hint: spec.FullName, Source: FlowEmitter.Emit(FlowPlan.Create(spec))))
            .WithTrackingName(TrackingNames.FlowPlans);

        context.RegisterSourceOutput(plans, static (spc, item) =>
            spc.AddSource(item.Hint + ".g.cs", SourceText.From(item.Source, System.Text.Encoding.UTF8)));

        var vaes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetParser.VaeAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => NetParser.Parse(NetKind.Vae, (INamedTypeSymbol)ctx.TargetSymbol, ctx.Attributes[0], ct));
        var gans = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetParser.GanAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => NetParser.Parse(NetKind.Gan, (INamedTypeSymbol)ctx.TargetSymbol, ctx.Attributes[0], ct));

        var semiSupervised = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetParser.SemiSupervisedVaeAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => NetParser.Parse(NetKind.SemiSupervisedVae, (INamedTypeSymbol)ctx.TargetSymbol, ctx.Attributes[0], ct));

        var regressors = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetParser.RegressorAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => NetParser.Parse(NetKind.Regressor, (INamedTypeSymbol)ctx.TargetSymbol, ctx.Attributes[0], ct));

        foreach (var nets in new[] { vaes, gans, semiSupervised, regressors })
        {
            var netSpecs = nets.WithTrackingName(TrackingNames.NetSpecs);
            var netPlans = netSpecs
                .Where(static spec => !NetValidator.Validate(spec).Any(d => d.IsError))
                .WithTrackingName(TrackingNames.ValidNets)
                .Select(static (spec, _) => (Hint: spec.FullName, Source: spec.Kind switch
                {
                    NetKind.SemiSupervisedVae => SemiSupervisedEmitter.Emit(SemiSupervisedPlan.Create(spec)),
                    NetKind.Regressor => RegressorEmitter.Emit(RegressorPlan.Create(spec)),
                    _ => NetEmitter.Emit(NetModelPlan.Create(spec)),
                }))
                .WithTrackingName(TrackingNames.NetPlans);
            context.RegisterSourceOutput(netPlans, static (spc, item) =>
                spc.AddSource(item.Hint + ".g.cs", SourceText.From(item.Source, System.Text.Encoding.UTF8)));

            // A VAE or GAN with errors gets only the stubs of its partial layer properties, as a flow does.
            var netStubs = netSpecs
                .Where(static spec => NetValidator.Validate(spec).Any(d => d.IsError))
                .Select(static (spec, _) => (Hint: spec.StubHint, Source: NetStubEmitter.Emit(spec)))
                .WithTrackingName(TrackingNames.NetStubs);
            context.RegisterSourceOutput(netStubs, static (spc, item) =>
            {
                if (item.Source is not null)
                    spc.AddSource(item.Hint + ".g.cs", SourceText.From(item.Source, System.Text.Encoding.UTF8));
            });
        }

        // A model with errors gets no code, only stubs that complete its partial layer properties: see StubEmitter.
        var stubs = flows
            .Where(static spec => FlowValidator.Validate(spec).Any(d => d.IsError))
            .Select(static (spec, _) => (Hint: spec.StubHint, Source: FlowStubEmitter.Emit(spec)))
            .WithTrackingName(TrackingNames.FlowStubs);

        context.RegisterSourceOutput(stubs, static (spc, item) =>
        {
            if (item.Source is not null)
                spc.AddSource(item.Hint + ".g.cs", SourceText.From(item.Source, System.Text.Encoding.UTF8));
        });
    }
}
