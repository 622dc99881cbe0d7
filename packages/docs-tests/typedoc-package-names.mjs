// A local TypeDoc plugin: names each entry point's module after the import path a user writes
// ("core/src" → "@minevo/core", "networks/src/conformance" → "@minevo/networks/conformance")
// instead of the folder TypeDoc derives from the file paths.
import { Converter, ReflectionKind } from "typedoc";

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const match = /^([^/]+)\/src(?:\/(.+))?$/.exec(module.name);
      if (match !== null) module.name = `@minevo/${match[1]}${match[2] === undefined ? "" : `/${match[2]}`}`;
    }
  });
}
