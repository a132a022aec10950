; Inno Setup script for the Windows installer. NOT YET BUILT OR TESTED:
; see packaging/README.md. It packs the onedir folder that
; packaging/windows/large-desktop.spec writes to dist\large-desktop.
;
;     iscc /DAppVersion=0.1.0 packaging\windows\installer.iss
;
; writes dist\large-desktop-<version>-windows-x86_64-setup.exe.

#ifndef AppVersion
  #error Pass the version from pyproject.toml: iscc /DAppVersion=X.Y.Z installer.iss
#endif

#define AppName "large-desktop"
#define SourceDir "..\..\dist\large-desktop"

[Setup]
; The AppId identifies the installation for upgrades and uninstall; keep it
; unchanged across versions.
AppId={{0C1F3FFD-D32A-4099-A164-579DF8C75130}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=large-desktop contributors
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; A per-user install needs no administrator; the dialog lets the user choose.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x86_64-setup
SetupIconFile=large-desktop.ico
UninstallDisplayIcon={app}\large-desktop-gui.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
LicenseFile=..\..\resources\licenses\THIRD_PARTY.md

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\large-desktop-gui.exe"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\large-desktop-gui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\large-desktop-gui.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
