package io.clawgress.appliance;

import picocli.CommandLine;

/** The build's version, from the jar manifest (Implementation-Version); "dev" when run from classes. */
public final class Version implements CommandLine.IVersionProvider {

    public static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"clawgress " + get() + " (Java " + Runtime.version() + ")"};
    }
}
